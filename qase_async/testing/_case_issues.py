"""External issues (Jira) linked to test cases."""

from __future__ import annotations

from ._api import Ctx, Handler, field_error, ok
from ._state import JSON

__all__ = ["HANDLERS"]


def _issue(value: str) -> JSON:
    """``{id, link}`` from an issue key (``"PROJ-1"``) or an issue URL."""
    if value.startswith(("http://", "https://")):
        return {"id": value.rstrip("/").rsplit("/", 1)[-1], "link": value}
    return {"id": value, "link": ""}


def _links(ctx: Ctx, code: str) -> list[tuple[JSON, list[JSON]]]:
    """The cases and issues a request names, all checked before anything changes."""
    out = []
    for i, link in enumerate(ctx.body["links"]):
        case = ctx.state.cases[code].get(link["case_id"])
        if case is None:
            raise field_error(f"links.{i}.case_id", "The selected case id is invalid.")
        out.append((case, [_issue(str(v)) for v in link["external_issues"]]))
    return out


def _entry(case: JSON, kind: str) -> JSON:
    issues: list[JSON] = case.setdefault("external_issues", [])
    for entry in issues:
        if entry.get("type") == kind:
            return entry
    entry = {"type": kind, "issues": []}
    issues.append(entry)
    return entry


def attach(ctx: Ctx) -> tuple[int, JSON]:
    """POST /case/{code}/external-issue/attach."""
    code = ctx.project()
    for case, issues in _links(ctx, code):
        entry = _entry(case, ctx.body["type"])
        known = {i["id"] for i in entry["issues"]}
        for issue in issues:
            if issue["id"] not in known:
                entry["issues"].append(issue)
                known.add(issue["id"])
    return ok()


def detach(ctx: Ctx) -> tuple[int, JSON]:
    """POST /case/{code}/external-issue/detach."""
    code = ctx.project()
    for case, issues in _links(ctx, code):
        entry = _entry(case, ctx.body["type"])
        gone = {i["id"] for i in issues}
        entry["issues"] = [i for i in entry["issues"] if i["id"] not in gone]
        case["external_issues"] = [e for e in case["external_issues"] if e["issues"]]
    return ok()


HANDLERS: dict[str, Handler] = {
    "case-attach-external-issue": attach,
    "case-detach-external-issue": detach,
}
