"""Test-case reviews: proposals to create or change a case, with their reviewers."""

from __future__ import annotations

from typing import Any

from ._api import ApiError, Ctx, Handler, _get, field_error, ok, paginate
from ._parameters import UnknownSharedParameterError, case_parameters
from ._state import JSON
from ._users import current_user

__all__ = ["HANDLERS"]

_SCALARS = (
    "title",
    "description",
    "preconditions",
    "postconditions",
    "severity",
    "priority",
    "behavior",
    "type",
    "layer",
    "is_flaky",
    "is_muted",
    "suite_id",
    "milestone_id",
    "is_manual",
    "is_to_be_automated",
    "status",
    "steps_type",
    "tags",
)


def _steps(steps: list[Any] | None) -> list[JSON]:
    out = []
    for step in steps or ():
        if not isinstance(step, dict):
            continue
        keys = ("action", "expected_result", "data", "value", "shared")
        view: JSON = {k: step[k] for k in keys if k in step}
        view["attachments"] = [str(h) for h in step.get("attachments") or ()]
        view["steps"] = _steps(step.get("steps"))
        out.append(view)
    return out


def _merge_proposal(ctx: Ctx, proposal: JSON, data: JSON) -> None:
    for name in _SCALARS:
        if name in data:
            proposal[name] = data[name]
    if "steps" in data:
        proposal["steps"] = _steps(data["steps"])
    if "attachments" in data:
        proposal["attachments"] = [str(h) for h in data["attachments"] or ()]
    if "parameters" in data:
        try:
            proposal["parameters"] = case_parameters(
                ctx.state.shared_parameters, data["parameters"]
            )
        except UnknownSharedParameterError as exc:
            raise field_error(
                f"proposed_case.parameters.{exc.index}.shared_id",
                "The selected shared parameter is invalid.",
            ) from None
    if "custom_field" in data:
        values = {c["id"]: c["value"] for c in proposal.get("custom_fields", [])}
        for key, value in (data["custom_field"] or {}).items():
            if str(key).isdigit():
                values[int(key)] = str(value)
        proposal["custom_fields"] = [{"id": k, "value": v} for k, v in values.items()]


def _reviewers(ctx: Ctx, uuids: list[Any] | None, field: str) -> list[JSON]:
    known = {a["uuid"] for a in ctx.state.authors.values()}
    out = []
    for i, value in enumerate(uuids or ()):
        if str(value).lower() not in known:
            raise field_error(f"{field}.{i}", "The selected reviewer is invalid.")
        out.append({"author_uuid": str(value).lower(), "status": "unapproved"})
    return out


def _check(ctx: Ctx, item: Any, prefix: str = "") -> None:
    """The checks that refuse a whole request (422)."""
    if not isinstance(item, dict) or not isinstance(item.get("proposed_case"), dict):
        raise field_error(prefix + "proposed_case", "The proposed case field is required.")
    if item.get("case_id") is None and not item["proposed_case"].get("title"):
        raise field_error(
            prefix + "proposed_case.title", "The title is required for a new-case review."
        )
    _reviewers(ctx, item.get("reviewers"), prefix + "reviewers")


def _create(ctx: Ctx, code: str, item: JSON) -> int:
    case_id = item.get("case_id")
    case = None
    if case_id is not None:
        case = ctx.state.cases[code].get(case_id)
        if case is None:
            raise field_error("case_id", "The selected case id is invalid.")
    proposal: JSON = {"custom_fields": [], "attachments": [], "steps": [], "parameters": []}
    _merge_proposal(ctx, proposal, item["proposed_case"])
    author = ctx.state.author_of(current_user(ctx)["id"])
    rid = ctx.state.next_id("review", code)
    review = {
        "id": rid,
        "title": proposal.get("title") or (case["title"] if case else ""),
        "type": "edit" if case is not None else "create",
        "status": "open",
        "case_id": case_id,
        "author_uuid": author["uuid"] if author else None,
        "reviewers": _reviewers(ctx, item.get("reviewers"), "reviewers"),
        "created_at": ctx.iso(),
        "updated_at": ctx.iso(),
        "proposed_case": proposal,
    }
    ctx.state.reviews[code][rid] = review
    return rid


def _summary(review: JSON) -> JSON:
    return {k: v for k, v in review.items() if k != "proposed_case"}


def list_reviews(ctx: Ctx) -> tuple[int, JSON]:
    """GET /review/{code} (filters: status, type, case_id, author_uuid, reviewer_uuid,
    search)."""
    code = ctx.project()
    reviews = list(ctx.state.reviews[code].values())
    for name in ("status", "type", "author_uuid"):
        value = ctx.q(name)
        if value:
            reviews = [r for r in reviews if str(r[name]) == value]
    case_id = ctx.q("case_id")
    if case_id:
        reviews = [r for r in reviews if str(r["case_id"]) == case_id]
    reviewer = ctx.q("reviewer_uuid")
    if reviewer:
        reviews = [r for r in reviews if any(x["author_uuid"] == reviewer for x in r["reviewers"])]
    needle = (ctx.q("search") or "").lower()
    if needle:
        reviews = [r for r in reviews if needle in r["title"].lower()]
    return ok(paginate(ctx, [_summary(r) for r in reviews], len(ctx.state.reviews[code])))


def create_review(ctx: Ctx) -> tuple[int, JSON]:
    """POST /review/{code}."""
    code = ctx.project()
    _check(ctx, ctx.body)
    return ok({"id": _create(ctx, code, ctx.body)})


def bulk_create_reviews(ctx: Ctx) -> tuple[int, JSON]:
    """POST /review/{code}/bulk: all-or-nothing validation, then one outcome per item."""
    code = ctx.project()
    reviews = ctx.body["reviews"]
    if not 1 <= len(reviews) <= 100:
        raise field_error("reviews", "Between 1 and 100 reviews per request.")
    for i, item in enumerate(reviews):
        _check(ctx, item, f"reviews.{i}.")
    items = []
    for item in reviews:
        try:
            rid: int | None = _create(ctx, code, item)
            error = None
        except ApiError as exc:
            rid, error = None, (exc.fields or [{"error": exc.message}])[0]["error"]
        items.append({"review_id": rid, "case_id": item.get("case_id"), "error": error})
    return ok({"items": items})


def _review(ctx: Ctx, code: str) -> JSON:
    return _get(ctx.state.reviews[code], ctx.int_param("id"), "Review")


def get_review(ctx: Ctx) -> tuple[int, JSON]:
    """GET /review/{code}/{id}."""
    code = ctx.project()
    return ok(_review(ctx, code))


def update_review(ctx: Ctx) -> tuple[int, JSON]:
    """PATCH /review/{code}/{id}: reviewers replaced, proposal merged (approvals reset)."""
    code = ctx.project()
    review = _review(ctx, code)
    if review["status"] != "open":
        raise ApiError(422, "Only an open review can be updated.")
    if "reviewers" in ctx.body:
        review["reviewers"] = _reviewers(ctx, ctx.body["reviewers"], "reviewers")
    if isinstance(ctx.body.get("proposed_case"), dict):
        _merge_proposal(ctx, review["proposed_case"], ctx.body["proposed_case"])
        if "title" in ctx.body["proposed_case"]:
            review["title"] = ctx.body["proposed_case"]["title"]
        for reviewer in review["reviewers"]:
            reviewer["status"] = "unapproved"
    review["updated_at"] = ctx.iso()
    return ok({"id": review["id"]})


def delete_review(ctx: Ctx) -> tuple[int, JSON]:
    """DELETE /review/{code}/{id} (a merged review cannot be deleted: 422)."""
    code = ctx.project()
    review = _review(ctx, code)
    if review["status"] == "merged":
        raise ApiError(422, "A merged review cannot be deleted.")
    del ctx.state.reviews[code][review["id"]]
    return ok({"id": review["id"]})


HANDLERS: dict[str, Handler] = {
    "get-reviews": list_reviews,
    "create-review": create_review,
    "bulk-create-reviews": bulk_create_reviews,
    "get-review": get_review,
    "update-review": update_review,
    "delete-review": delete_review,
}
