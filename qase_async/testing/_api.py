"""The stateful part of the fake: one handler per operation of the workflow resources.

Handlers get a :class:`Ctx` and return ``(status, body)``; they raise :class:`ApiError` for
4xx/5xx answers. The handlers of the other resources live in their own modules (users and
authors, reviews, shared parameters, search, results and what they create...) and are added
to :data:`HANDLERS` at the end.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from ._config import ResultRules
from ._multipart import MultipartError, parse_multipart
from ._parameters import UnknownSharedParameterError, case_parameters
from ._spec import Operation
from ._state import JSON, FakeState

__all__ = ["HANDLERS", "ApiError", "Ctx", "Limits"]

RESULT_STATS = ("passed", "failed", "blocked", "skipped", "retest", "in_progress", "invalid")
CF_ENTITIES = ["case", "run", "defect"]
CF_TYPES = [
    "number",
    "string",
    "text",
    "selectbox",
    "checkbox",
    "radio",
    "multiselect",
    "url",
    "user",
    "datetime",
]
DEFECT_SEVERITY = ["undefined", "blocker", "critical", "major", "normal", "minor", "trivial"]
CODE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]{1,9}$")


class ApiError(Exception):
    """An error answer: ``{"status": false, "errorMessage": ..., "errorFields": [...]}``."""

    def __init__(
        self,
        status: int,
        message: str,
        fields: list[dict[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields
        self.headers = dict(headers or {})

    def body(self) -> JSON:
        """The error body."""
        out: JSON = {"status": False, "errorMessage": self.message}
        if self.fields:
            out["errorFields"] = self.fields
        return out


def field_error(field: str, error: str) -> ApiError:
    """A 422 for one invalid field."""
    return ApiError(422, "Data is invalid.", [{"field": field, "error": error}])


@attrs.frozen
class Limits:
    """The size limits the handlers enforce (see :class:`FakeQase`)."""

    max_bulk: int
    max_file: int
    max_request: int
    max_files: int
    storage_quota: int | None
    max_error_context: int


@attrs.define
class Ctx:
    """Everything a handler may look at."""

    op: Operation
    params: dict[str, str]
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    raw: bytes
    body: Any
    state: FakeState
    limits: Limits
    now: float
    base_url: str
    on_result_stored: Callable[[], None]
    on_duplicate: Callable[[], None]
    rules: ResultRules = attrs.field(factory=ResultRules)

    # -- parameters ---------------------------------------------------------------

    def q(self, name: str) -> str | None:
        """A query parameter's first value."""
        values = self.query.get(name)
        return values[0] if values else None

    def int_param(self, name: str) -> int:
        """An integer path parameter; 404 if it is not an integer."""
        try:
            return int(self.params[name])
        except ValueError:
            raise ApiError(404, "Not found.") from None

    def project(self) -> str:
        """The project code from the path, checked; 404 if there is no such project."""
        code = (self.params.get("code") or self.params.get("project_code") or "").upper()
        if code not in self.state.projects:
            raise ApiError(404, "Project not found.")
        return code

    def member_and_author(self) -> tuple[int, int]:
        """``(user id, author id)`` of the user the request's token belongs to."""
        user = self.state.user_for_token(self.headers.get("token"))
        author = self.state.author_of(user["id"])
        return user["id"], author["id"] if author else user["id"]

    # -- time ------------------------------------------------------------------------

    def iso(self, at: float | None = None) -> str:
        """A date-time in the service's ISO form, ``2021-12-30T19:23:59+00:00``."""
        moment = dt.datetime.fromtimestamp(self.now if at is None else at, dt.UTC)
        return moment.replace(microsecond=0).isoformat()

    def legacy(self) -> str:
        """A date-time in the service's old form, ``2021-12-30 19:23:59``."""
        return dt.datetime.fromtimestamp(self.now, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")

    def stamp(self, entity: JSON, created: bool) -> JSON:
        """Set the created/updated fields of an entity."""
        if created:
            entity["created"] = self.legacy()
            entity["created_at"] = self.iso()
        entity["updated"] = self.legacy()
        entity["updated_at"] = self.iso()
        return entity


def new_hash(state: FakeState, kind: str) -> str:
    """A fresh 40-hex hash, deterministic for a given sequence of requests."""
    n = state.next_id(f"hash:{kind}")
    return hashlib.sha1(f"{kind}:{n}".encode(), usedforsecurity=False).hexdigest()


def ok(result: Any = None, status: int = 200) -> tuple[int, JSON]:
    """A success envelope; ``result`` omitted when ``None``."""
    body: JSON = {"status": True}
    if result is not None:
        body["result"] = result
    return status, body


def paginate(ctx: Ctx, entities: list[JSON], total: int | None = None) -> JSON:
    """Apply ``limit``/``offset`` with the service's bounds and build the list result."""
    limit = _bounded_int(ctx, "limit", 10, 1, 100)
    offset = _bounded_int(ctx, "offset", 0, 0, 100_000)
    page = entities[offset : offset + limit]
    return {
        "total": len(entities) if total is None else total,
        "filtered": len(entities),
        "count": len(page),
        "entities": page,
    }


def _bounded_int(ctx: Ctx, name: str, default: int, low: int, high: int) -> int:
    raw = ctx.q(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise field_error(name, f"The {name} must be an integer.") from None
    if not low <= value <= high:
        raise field_error(name, f"The {name} must be between {low} and {high}.")
    return value


def _csv(ctx: Ctx, name: str) -> list[str] | None:
    raw = ctx.q(name)
    if raw is None or raw == "":
        return None
    return [v.strip() for v in raw.split(",") if v.strip()]


def _search(ctx: Ctx, entities: Iterable[JSON], key: str = "title") -> list[JSON]:
    needle = (ctx.q("search") or "").lower()
    return [e for e in entities if needle in str(e.get(key) or "").lower()]


def _get(store: Mapping[Any, JSON], key: Any, what: str) -> JSON:
    try:
        return store[key]
    except KeyError:
        raise ApiError(404, f"{what} not found.") from None


def _apply(entity: JSON, body: JSON, fields: Iterable[str]) -> None:
    for name in fields:
        if name in body:
            entity[name] = body[name]


# -- projects ------------------------------------------------------------------------------


def _project_view(ctx: Ctx, code: str) -> JSON:
    project = ctx.state.projects[code]
    runs = ctx.state.runs.get(code, {}).values()
    defects = ctx.state.defects.get(code, {}).values()
    return {
        "title": project["title"],
        "code": code,
        "counts": {
            "cases": len(ctx.state.cases.get(code, {})),
            "suites": len(ctx.state.suites.get(code, {})),
            "milestones": len(ctx.state.milestones.get(code, {})),
            "runs": {"total": len(runs), "active": sum(1 for r in runs if r["status"] == 0)},
            "defects": {
                "total": len(defects),
                "open": sum(1 for d in defects if d["status"] == "open"),
            },
        },
    }


def list_projects(ctx: Ctx) -> tuple[int, JSON]:
    """GET /project."""
    return ok(paginate(ctx, [_project_view(ctx, c) for c in ctx.state.projects]))


def create_project(ctx: Ctx) -> tuple[int, JSON]:
    """POST /project."""
    code = ctx.body["code"]
    if not CODE_RE.match(code):
        raise field_error(
            "code", "The code must be 2 to 10 latin letters or digits, starting with a letter."
        )
    code = code.upper()
    if code in ctx.state.projects:
        raise field_error("code", "The code has already been taken.")
    ctx.state.projects[code] = {
        "title": ctx.body["title"],
        "code": code,
        "description": ctx.body.get("description"),
        "access": ctx.body.get("access", "all"),
    }
    return ok({"code": code})


def get_project(ctx: Ctx) -> tuple[int, JSON]:
    """GET /project/{code}."""
    return ok(_project_view(ctx, ctx.project()))


def _delete_by_id(ctx: Ctx, table: Mapping[str, dict[int, JSON]], label: str) -> tuple[int, JSON]:
    """DELETE /<entity>/{code}/{id} for entities nothing else refers to."""
    code = ctx.project()
    entity_id = ctx.int_param("id")
    _get(table[code], entity_id, label)
    del table[code][entity_id]
    return ok({"id": entity_id})


def delete_project(ctx: Ctx) -> tuple[int, JSON]:
    """DELETE /project/{code}."""
    ctx.state.drop_project(ctx.project())
    return ok()


# -- suites --------------------------------------------------------------------------------


def _suite_view(ctx: Ctx, code: str, suite: JSON) -> JSON:
    view = dict(suite)
    view["cases_count"] = sum(
        1 for c in ctx.state.cases[code].values() if c["suite_id"] == suite["id"]
    )
    return view


def _check_parent(ctx: Ctx, code: str, parent: Any) -> None:
    if parent is not None and parent not in ctx.state.suites[code]:
        raise field_error("parent_id", "The selected parent id is invalid.")


def list_suites(ctx: Ctx) -> tuple[int, JSON]:
    """GET /suite/{code}."""
    code = ctx.project()
    suites = [_suite_view(ctx, code, s) for s in _search(ctx, ctx.state.suites[code].values())]
    return ok(paginate(ctx, suites, len(ctx.state.suites[code])))


def create_suite(ctx: Ctx) -> tuple[int, JSON]:
    """POST /suite/{code}."""
    code = ctx.project()
    _check_parent(ctx, code, ctx.body.get("parent_id"))
    return ok({"id": _new_suite(ctx, code, ctx.body)["id"]})


def _new_suite(ctx: Ctx, code: str, body: JSON) -> JSON:
    sid = ctx.state.next_id("suite", code)
    suite = {
        "id": sid,
        "title": body["title"],
        "description": body.get("description"),
        "preconditions": body.get("preconditions"),
        "position": len(ctx.state.suites[code]) + 1,
        "cases_count": 0,
        "parent_id": body.get("parent_id"),
    }
    ctx.state.suites[code][sid] = ctx.stamp(suite, created=True)
    return suite


def get_suite(ctx: Ctx) -> tuple[int, JSON]:
    """GET /suite/{code}/{id}."""
    code = ctx.project()
    suite = _get(ctx.state.suites[code], ctx.int_param("id"), "Suite")
    return ok(_suite_view(ctx, code, suite))


def update_suite(ctx: Ctx) -> tuple[int, JSON]:
    """PATCH /suite/{code}/{id}."""
    code = ctx.project()
    suite = _get(ctx.state.suites[code], ctx.int_param("id"), "Suite")
    if ctx.body.get("parent_id") == suite["id"]:
        raise field_error("parent_id", "A suite cannot be its own parent.")
    _check_parent(ctx, code, ctx.body.get("parent_id"))
    _apply(suite, ctx.body, ("title", "description", "preconditions", "parent_id"))
    ctx.stamp(suite, created=False)
    return ok({"id": suite["id"]})


def delete_suite(ctx: Ctx) -> tuple[int, JSON]:
    """DELETE /suite/{code}/{id} (cases move to ``destination_id`` if given)."""
    code = ctx.project()
    sid = ctx.int_param("id")
    _get(ctx.state.suites[code], sid, "Suite")
    dest = ctx.body.get("destination_id") if isinstance(ctx.body, dict) else None
    if dest is not None and (dest == sid or dest not in ctx.state.suites[code]):
        raise field_error("destination_id", "The selected destination id is invalid.")
    for case in list(ctx.state.cases[code].values()):
        if case["suite_id"] == sid:
            if dest is None:
                del ctx.state.cases[code][case["id"]]
            else:
                case["suite_id"] = dest
    for suite in ctx.state.suites[code].values():
        if suite["parent_id"] == sid:
            suite["parent_id"] = None
    del ctx.state.suites[code][sid]
    return ok({"id": sid})


# -- cases ---------------------------------------------------------------------------------

CASE_INTS = {
    "severity": 0,
    "priority": 0,
    "type": 1,
    "layer": 0,
    "is_flaky": 0,
    "behavior": 1,
    "automation": 0,
    "status": 0,
}
CASE_SLUGS = {
    "severity": ["undefined", "blocker", "critical", "major", "normal", "minor", "trivial"],
    "priority": ["undefined", "high", "medium", "low"],
    "type": [
        "other",
        "functional",
        "smoke",
        "regression",
        "security",
        "usability",
        "performance",
        "acceptance",
    ],
    "behavior": ["undefined", "positive", "negative", "destructive"],
    "automation": ["is-not-automated", "automated", "to-be-automated"],
    "status": ["actual", "draft", "deprecated"],
}


def _attachments_view(ctx: Ctx, hashes: Iterable[Any] | None) -> list[JSON]:
    out = []
    for h in hashes or ():
        att = ctx.state.attachments.get(str(h))
        if att is not None:
            out.append(
                {
                    "size": att["size"],
                    "mime": att["mime"],
                    "filename": att["file"],
                    "url": att["full_path"],
                }
            )
    return out


def _case_steps(ctx: Ctx, steps: list[JSON] | None) -> list[JSON]:
    out = []
    for i, step in enumerate(steps or (), start=1):
        out.append(
            {
                "hash": new_hash(ctx.state, "step"),
                "shared_step_hash": step.get("shared"),
                "shared_step_nested_hash": None,
                "position": step.get("position", i),
                "action": step.get("action", ""),
                "expected_result": step.get("expected_result"),
                "data": step.get("data"),
                "attachments": _attachments_view(ctx, step.get("attachments")),
                "steps": list(step.get("steps") or []),
            }
        )
    return out


def _custom_fields(body: JSON) -> list[JSON]:
    values = body.get("custom_field") or {}
    return [{"id": int(k), "value": str(v)} for k, v in values.items() if str(k).isdigit()]


def _tags(ctx: Ctx, tags: list[str] | None) -> list[JSON]:
    del ctx
    return [{"title": t, "internal_id": _tag_id(t)} for t in tags or ()]


def _tag_id(title: str) -> int:
    return int(hashlib.sha1(title.encode(), usedforsecurity=False).hexdigest()[:6], 16)


def _case_parameters(ctx: Ctx, params: Any, prefix: str = "") -> list[JSON]:
    try:
        return case_parameters(ctx.state.shared_parameters, params)
    except UnknownSharedParameterError as exc:
        raise field_error(
            f"{prefix}parameters.{exc.index}.shared_id", "The selected shared parameter is invalid."
        ) from None


def _check_case_refs(ctx: Ctx, code: str, body: JSON, prefix: str = "") -> None:
    suite = body.get("suite_id")
    if suite is not None and suite not in ctx.state.suites[code]:
        raise field_error(prefix + "suite_id", "The selected suite id is invalid.")
    milestone = body.get("milestone_id")
    if milestone is not None and milestone not in ctx.state.milestones[code]:
        raise field_error(prefix + "milestone_id", "The selected milestone id is invalid.")
    _case_parameters(ctx, body.get("parameters"), prefix)


def _new_case(ctx: Ctx, code: str, body: JSON, case_id: int | None = None) -> JSON:
    parameters = _case_parameters(ctx, body.get("parameters"))
    cid = case_id if case_id is not None else ctx.state.next_id("case", code)
    member, author = ctx.member_and_author()
    case: JSON = {
        "id": cid,
        "position": len(ctx.state.cases[code]) + 1,
        "title": body["title"],
        "description": body.get("description"),
        "preconditions": body.get("preconditions"),
        "postconditions": body.get("postconditions"),
    }
    for name, default in CASE_INTS.items():
        case[name] = body.get(name, default)
    case.update(
        {
            "isManual": body.get("isManual", case["automation"] == 0),
            "isToBeAutomated": body.get("isToBeAutomated", case["automation"] == 2),
            "milestone_id": body.get("milestone_id"),
            "suite_id": body.get("suite_id"),
            "custom_fields": _custom_fields(body),
            "attachments": _attachments_view(ctx, body.get("attachments")),
            "steps_type": body.get("steps_type"),
            "steps": _case_steps(ctx, body.get("steps")),
            "params": body.get("params") or [],
            "parameters": parameters,
            "tags": _tags(ctx, body.get("tags")),
            "member_id": member,
            "author_id": author,
            "deleted": None,
            "external_issues": [],
        }
    )
    ctx.stamp(case, created=True)
    ctx.state.cases[code][cid] = case
    return case


def _update_case(ctx: Ctx, case: JSON, body: JSON) -> None:
    _apply(
        case,
        body,
        (
            "title",
            "description",
            "preconditions",
            "postconditions",
            "milestone_id",
            "suite_id",
            "steps_type",
            "isManual",
            "isToBeAutomated",
            *CASE_INTS,
        ),
    )
    if "steps" in body:
        case["steps"] = _case_steps(ctx, body["steps"])
    if "tags" in body:
        case["tags"] = _tags(ctx, body["tags"])
    if "custom_field" in body:
        case["custom_fields"] = _custom_fields(body)
    if "attachments" in body:
        case["attachments"] = _attachments_view(ctx, body["attachments"])
    if "params" in body:
        case["params"] = body["params"] or []
    if "parameters" in body:
        case["parameters"] = _case_parameters(ctx, body["parameters"])
    ctx.stamp(case, created=False)


def list_cases(ctx: Ctx) -> tuple[int, JSON]:
    """GET /case/{code} (filters: search, suite_id, milestone_id and the slug filters)."""
    code = ctx.project()
    cases = _search(ctx, ctx.state.cases[code].values())
    for name in ("suite_id", "milestone_id"):
        value = ctx.q(name)
        if value:
            cases = [c for c in cases if str(c[name]) == value]
    for name, slugs in CASE_SLUGS.items():
        wanted = _csv(ctx, name)
        if wanted:
            cases = [c for c in cases if 0 <= c[name] < len(slugs) and slugs[c[name]] in wanted]
    return ok(paginate(ctx, cases, len(ctx.state.cases[code])))


def create_case(ctx: Ctx) -> tuple[int, JSON]:
    """POST /case/{code}."""
    code = ctx.project()
    _check_case_refs(ctx, code, ctx.body)
    return ok({"id": _new_case(ctx, code, ctx.body)["id"]})


def get_case(ctx: Ctx) -> tuple[int, JSON]:
    """GET /case/{code}/{id}."""
    code = ctx.project()
    return ok(_get(ctx.state.cases[code], ctx.int_param("id"), "Test case"))


def update_case(ctx: Ctx) -> tuple[int, JSON]:
    """PATCH /case/{code}/{id}."""
    code = ctx.project()
    case = _get(ctx.state.cases[code], ctx.int_param("id"), "Test case")
    _check_case_refs(ctx, code, ctx.body)
    _update_case(ctx, case, ctx.body)
    return ok({"id": case["id"]})


def delete_case(ctx: Ctx) -> tuple[int, JSON]:
    """DELETE /case/{code}/{id}."""
    return _delete_by_id(ctx, ctx.state.cases, "Test case")


def bulk_cases(ctx: Ctx) -> tuple[int, JSON]:
    """POST /case/{code}/bulk (all or nothing)."""
    code = ctx.project()
    cases = ctx.body["cases"]
    for i, body in enumerate(cases):
        _check_case_refs(ctx, code, body, f"cases.{i}.")
    ids = []
    for body in cases:
        existing = body.get("id")
        if existing is not None and existing in ctx.state.cases[code]:
            _update_case(ctx, ctx.state.cases[code][existing], body)
            ids.append(existing)
        else:
            ids.append(_new_case(ctx, code, body)["id"])
    return ok({"ids": ids})


# -- milestones, plans, environments, configurations --------------------------------------


def list_milestones(ctx: Ctx) -> tuple[int, JSON]:
    """GET /milestone/{code}."""
    code = ctx.project()
    items = _search(ctx, ctx.state.milestones[code].values())
    return ok(paginate(ctx, items, len(ctx.state.milestones[code])))


def create_milestone(ctx: Ctx) -> tuple[int, JSON]:
    """POST /milestone/{code}."""
    code = ctx.project()
    mid = ctx.state.next_id("milestone", code)
    due = ctx.body.get("due_date")
    milestone = {
        "id": mid,
        "title": ctx.body["title"],
        "description": ctx.body.get("description"),
        "status": ctx.body.get("status", "active"),
        "due_date": ctx.iso(due) if due is not None else None,
    }
    ctx.state.milestones[code][mid] = ctx.stamp(milestone, created=True)
    return ok({"id": mid})


def get_milestone(ctx: Ctx) -> tuple[int, JSON]:
    """GET /milestone/{code}/{id}."""
    code = ctx.project()
    return ok(_get(ctx.state.milestones[code], ctx.int_param("id"), "Milestone"))


def update_milestone(ctx: Ctx) -> tuple[int, JSON]:
    """PATCH /milestone/{code}/{id}."""
    code = ctx.project()
    milestone = _get(ctx.state.milestones[code], ctx.int_param("id"), "Milestone")
    _apply(milestone, ctx.body, ("title", "description", "status"))
    ctx.stamp(milestone, created=False)
    return ok({"id": milestone["id"]})


def delete_milestone(ctx: Ctx) -> tuple[int, JSON]:
    """DELETE /milestone/{code}/{id}."""
    code = ctx.project()
    mid = ctx.int_param("id")
    _get(ctx.state.milestones[code], mid, "Milestone")
    del ctx.state.milestones[code][mid]
    for case in ctx.state.cases[code].values():
        if case["milestone_id"] == mid:
            case["milestone_id"] = None
    return ok({"id": mid})


def _check_plan_cases(ctx: Ctx, code: str, cases: list[int]) -> None:
    for i, cid in enumerate(cases):
        if cid not in ctx.state.cases[code]:
            raise field_error(f"cases.{i}", "The selected case is invalid.")


def _plan_view(plan: JSON) -> JSON:
    return {k: v for k, v in plan.items() if k not in ("cases", "average_time")}


def list_plans(ctx: Ctx) -> tuple[int, JSON]:
    """GET /plan/{code}."""
    code = ctx.project()
    return ok(paginate(ctx, [_plan_view(p) for p in ctx.state.plans[code].values()]))


def create_plan(ctx: Ctx) -> tuple[int, JSON]:
    """POST /plan/{code}."""
    code = ctx.project()
    _check_plan_cases(ctx, code, ctx.body["cases"])
    pid = ctx.state.next_id("plan", code)
    plan = {
        "id": pid,
        "title": ctx.body["title"],
        "description": ctx.body.get("description"),
        "cases_count": len(ctx.body["cases"]),
        "average_time": 0.0,
        "cases": [{"case_id": c, "assignee_id": None} for c in ctx.body["cases"]],
    }
    ctx.state.plans[code][pid] = ctx.stamp(plan, created=True)
    return ok({"id": pid})


def get_plan(ctx: Ctx) -> tuple[int, JSON]:
    """GET /plan/{code}/{id} (detailed, with cases)."""
    code = ctx.project()
    return ok(_get(ctx.state.plans[code], ctx.int_param("id"), "Plan"))


def update_plan(ctx: Ctx) -> tuple[int, JSON]:
    """PATCH /plan/{code}/{id}."""
    code = ctx.project()
    plan = _get(ctx.state.plans[code], ctx.int_param("id"), "Plan")
    _apply(plan, ctx.body, ("title", "description"))
    if "cases" in ctx.body:
        _check_plan_cases(ctx, code, ctx.body["cases"])
        plan["cases"] = [{"case_id": c, "assignee_id": None} for c in ctx.body["cases"]]
        plan["cases_count"] = len(plan["cases"])
    ctx.stamp(plan, created=False)
    return ok({"id": plan["id"]})


def delete_plan(ctx: Ctx) -> tuple[int, JSON]:
    """DELETE /plan/{code}/{id}."""
    return _delete_by_id(ctx, ctx.state.plans, "Plan")


def list_environments(ctx: Ctx) -> tuple[int, JSON]:
    """GET /environment/{code}."""
    code = ctx.project()
    items = _search(ctx, ctx.state.environments[code].values())
    slug = ctx.q("slug")
    if slug:
        items = [e for e in items if e["slug"] == slug]
    return ok(paginate(ctx, items, len(ctx.state.environments[code])))


def create_environment(ctx: Ctx) -> tuple[int, JSON]:
    """POST /environment/{code}."""
    code = ctx.project()
    if any(e["slug"] == ctx.body["slug"] for e in ctx.state.environments[code].values()):
        raise field_error("slug", "The slug has already been taken.")
    eid = ctx.state.next_id("environment", code)
    ctx.state.environments[code][eid] = {
        "id": eid,
        "title": ctx.body["title"],
        "description": ctx.body.get("description"),
        "slug": ctx.body["slug"],
        "host": ctx.body.get("host"),
    }
    return ok({"id": eid})


def get_environment(ctx: Ctx) -> tuple[int, JSON]:
    """GET /environment/{code}/{id}."""
    code = ctx.project()
    return ok(_get(ctx.state.environments[code], ctx.int_param("id"), "Environment"))


def update_environment(ctx: Ctx) -> tuple[int, JSON]:
    """PATCH /environment/{code}/{id}."""
    code = ctx.project()
    env = _get(ctx.state.environments[code], ctx.int_param("id"), "Environment")
    others = (e for e in ctx.state.environments[code].values() if e is not env)
    if "slug" in ctx.body and any(e["slug"] == ctx.body["slug"] for e in others):
        raise field_error("slug", "The slug has already been taken.")
    _apply(env, ctx.body, ("title", "description", "slug", "host"))
    return ok({"id": env["id"]})


def delete_environment(ctx: Ctx) -> tuple[int, JSON]:
    """DELETE /environment/{code}/{id}."""
    return _delete_by_id(ctx, ctx.state.environments, "Environment")


def list_configurations(ctx: Ctx) -> tuple[int, JSON]:
    """GET /configuration/{code} (groups with their configurations)."""
    code = ctx.project()
    return ok(paginate(ctx, list(ctx.state.configurations[code].values())))


def create_configuration_group(ctx: Ctx) -> tuple[int, JSON]:
    """POST /configuration/{code}/group."""
    code = ctx.project()
    gid = ctx.state.next_id("configuration-group", code)
    ctx.state.configurations[code][gid] = {
        "id": gid,
        "title": ctx.body["title"],
        "configurations": [],
    }
    return ok({"id": gid})


def create_configuration(ctx: Ctx) -> tuple[int, JSON]:
    """POST /configuration/{code}."""
    code = ctx.project()
    group = ctx.state.configurations[code].get(ctx.body["group_id"])
    if group is None:
        raise field_error("group_id", "The selected group id is invalid.")
    cid = ctx.state.next_id("configuration", code)
    group["configurations"].append({"id": cid, "title": ctx.body["title"]})
    return ok({"id": cid})


# -- runs ----------------------------------------------------------------------------------


def _run_view(ctx: Ctx, code: str, run: JSON) -> JSON:
    view = {k: v for k, v in run.items() if not k.startswith("_")}
    include = {v.strip() for v in (ctx.q("include") or "").split(",")}
    if "cases" not in include:
        view.pop("cases", None)
    if "external_issue" not in include:
        view["external_issue"] = None
    latest: dict[int, str] = {}
    for result in ctx.state.results[code].values():
        if result["run_id"] == run["id"]:
            latest[result["case_id"]] = result["status"]
    statuses: dict[str, int] = {}
    for status in latest.values():
        statuses[status] = statuses.get(status, 0) + 1
    total = len(set(run["cases"]) | set(latest))
    stats: JSON = {"total": total, "statuses": statuses, "untested": total - len(latest)}
    for name in RESULT_STATS:
        stats[name] = statuses.get(name, 0)
    view["stats"] = stats
    return view


def list_runs(ctx: Ctx) -> tuple[int, JSON]:
    """GET /run/{code} (filters: search, status, milestone, environment)."""
    code = ctx.project()
    runs = _search(ctx, ctx.state.runs[code].values())
    statuses = _csv(ctx, "status")
    if statuses:
        runs = [r for r in runs if r["status_text"] in statuses]
    for name in ("milestone", "environment"):
        value = ctx.q(name)
        if value:
            runs = [r for r in runs if str(r[f"_{name}_id"]) == value]
    views = [_run_view(ctx, code, r) for r in runs]
    return ok(paginate(ctx, views, len(ctx.state.runs[code])))


def create_run(ctx: Ctx) -> tuple[int, JSON]:
    """POST /run/{code}."""
    code = ctx.project()
    body = ctx.body
    cases = list(body.get("cases") or [])
    for i, cid in enumerate(cases):
        if cid not in ctx.state.cases[code]:
            raise field_error(f"cases.{i}", "The selected case is invalid.")
    if body.get("include_all_cases"):
        cases = list(ctx.state.cases[code])
    if body.get("plan_id") is not None:
        plan = ctx.state.plans[code].get(body["plan_id"])
        if plan is None:
            raise field_error("plan_id", "The selected plan id is invalid.")
        cases = list(dict.fromkeys([*cases, *(c["case_id"] for c in plan["cases"])]))
    env = None
    env_id = body.get("environment_id")
    if env_id is not None or body.get("environment_slug"):
        found = [
            e
            for e in ctx.state.environments[code].values()
            if e["id"] == env_id or e["slug"] == body.get("environment_slug")
        ]
        if not found:
            raise field_error("environment_id", "The selected environment is invalid.")
        env = found[0]
    milestone = None
    if body.get("milestone_id") is not None:
        milestone = ctx.state.milestones[code].get(body["milestone_id"])
        if milestone is None:
            raise field_error("milestone_id", "The selected milestone id is invalid.")
    rid = ctx.state.next_id("run", code)
    run = {
        "id": rid,
        "run_id": rid,
        "title": body["title"],
        "description": body.get("description"),
        "status": 0,
        "status_text": "active",
        "start_time": ctx.iso(),
        "end_time": None,
        "public": False,
        "stats": {},
        "time_spent": 0,
        "elapsed_time": 0,
        "environment": _env_view(env),
        "milestone": (
            {"title": milestone["title"], "description": milestone["description"] or ""}
            if milestone
            else None
        ),
        "custom_fields": _custom_fields(body),
        "tags": _tags(ctx, body.get("tags")),
        "cases": cases,
        "plan_id": body.get("plan_id"),
        "configurations": list(body.get("configurations") or []),
        "external_issue": None,
        "_milestone_id": body.get("milestone_id"),
        "_environment_id": env["id"] if env else None,
        "_is_autotest": bool(body.get("is_autotest", False)),
    }
    ctx.state.runs[code][rid] = run
    return ok({"id": rid})


def _env_view(env: JSON | None) -> JSON | None:
    if env is None:
        return None
    return {
        "title": env["title"],
        "description": env["description"] or "",
        "slug": env["slug"],
        "host": env["host"] or "",
    }


def _run(ctx: Ctx, code: str, key: str = "id") -> JSON:
    return _get(ctx.state.runs[code], ctx.int_param(key), "Run")


def get_run(ctx: Ctx) -> tuple[int, JSON]:
    """GET /run/{code}/{id}."""
    code = ctx.project()
    return ok(_run_view(ctx, code, _run(ctx, code)))


def update_run(ctx: Ctx) -> tuple[int, JSON]:
    """PATCH /run/{code}/{id}."""
    code = ctx.project()
    run = _run(ctx, code)
    _apply(run, ctx.body, ("title", "description", "configurations"))
    if "tags" in ctx.body:
        run["tags"] = _tags(ctx, ctx.body["tags"])
    if "custom_field" in ctx.body:
        run["custom_fields"] = _custom_fields(ctx.body)
    return ok()


def delete_run(ctx: Ctx) -> tuple[int, JSON]:
    """DELETE /run/{code}/{id} (and its results)."""
    code = ctx.project()
    run = _run(ctx, code)
    del ctx.state.runs[code][run["id"]]
    results = ctx.state.results[code]
    for h in [h for h, r in results.items() if r["run_id"] == run["id"]]:
        del results[h]
    return ok({"id": run["id"]})


def complete_run(ctx: Ctx) -> tuple[int, JSON]:
    """POST /run/{code}/{id}/complete (422 if the run is already complete)."""
    code = ctx.project()
    run = _run(ctx, code)
    if run["status"] == 1:
        raise ApiError(422, "Test run is already completed.")
    run["status"] = 1
    run["status_text"] = "complete"
    run["end_time"] = ctx.iso()
    return ok()


def run_public(ctx: Ctx) -> tuple[int, JSON]:
    """PATCH /run/{code}/{id}/public."""
    code = ctx.project()
    run = _run(ctx, code)
    run["public"] = bool(ctx.body["status"])
    if not run["public"]:
        return ok({})
    token = hashlib.sha1(f"{code}:{run['id']}".encode(), usedforsecurity=False).hexdigest()
    return ok({"url": f"{ctx.base_url}/public/report/{token}"})


# -- attachments ---------------------------------------------------------------------------


def upload_attachment(ctx: Ctx) -> tuple[int, JSON]:
    """POST /attachment/{code} (multipart ``file[]`` parts; 413/507 limits)."""
    code = ctx.project()
    limits = ctx.limits
    if len(ctx.raw) > limits.max_request:
        raise ApiError(413, f"The request exceeds {limits.max_request} bytes.")
    try:
        parts = parse_multipart(ctx.headers.get("content-type", ""), ctx.raw)
    except MultipartError as exc:
        raise ApiError(400, str(exc)) from None
    files = [p for p in parts if p.name in ("file[]", "file")]
    if not files:
        raise field_error("file", "The file field is required.")
    if len(files) > limits.max_files:
        raise ApiError(413, f"At most {limits.max_files} files per request.")
    for part in files:
        if len(part.data) > limits.max_file:
            raise ApiError(413, f"A file exceeds {limits.max_file} bytes.")
    incoming = sum(len(p.data) for p in files)
    if limits.storage_quota is not None and (
        ctx.state.storage_used() + incoming > limits.storage_quota
    ):
        raise ApiError(507, "Insufficient storage.")
    out = []
    for part in files:
        h = new_hash(ctx.state, "attachment")
        filename = part.filename or "file"
        ext = filename.rsplit(".", 1)[-1] if "." in filename else ""
        url = f"{ctx.base_url}/attachment/{h}/{filename}"
        ctx.state.attachments[h] = {
            "hash": h,
            "file": filename,
            "mime": part.content_type,
            "size": len(part.data),
            "extension": ext,
            "full_path": url,
            "url": url,
            "_project": code,
        }
        ctx.state.attachment_data[h] = part.data
        out.append(
            {
                "hash": h,
                "filename": filename,
                "mime": part.content_type,
                "extension": ext,
                "url": url,
                "team": "fake",
            }
        )
    return ok(out)


def _attachment_view(att: JSON) -> JSON:
    return {k: v for k, v in att.items() if not k.startswith("_")}


def list_attachments(ctx: Ctx) -> tuple[int, JSON]:
    """GET /attachment."""
    return ok(paginate(ctx, [_attachment_view(a) for a in ctx.state.attachments.values()]))


def get_attachment(ctx: Ctx) -> tuple[int, JSON]:
    """GET /attachment/{hash}."""
    return ok(_attachment_view(_get(ctx.state.attachments, ctx.params["hash"], "Attachment")))


def delete_attachment(ctx: Ctx) -> tuple[int, JSON]:
    """DELETE /attachment/{hash}."""
    h = ctx.params["hash"]
    _get(ctx.state.attachments, h, "Attachment")
    del ctx.state.attachments[h]
    ctx.state.attachment_data.pop(h, None)
    return ok({"hash": h})


# -- defects -------------------------------------------------------------------------------


def list_defects(ctx: Ctx) -> tuple[int, JSON]:
    """GET /defect/{code} (filter: status)."""
    code = ctx.project()
    items = list(ctx.state.defects[code].values())
    status = ctx.q("status")
    if status:
        items = [d for d in items if d["status"] == status]
    return ok(paginate(ctx, items, len(ctx.state.defects[code])))


def _severity(value: Any) -> str:
    if isinstance(value, int) and 0 <= value < len(DEFECT_SEVERITY):
        return DEFECT_SEVERITY[value]
    return str(value)


def _check_milestone(ctx: Ctx, code: str, body: JSON) -> None:
    milestone = body.get("milestone_id")
    if milestone is not None and milestone not in ctx.state.milestones[code]:
        raise field_error("milestone_id", "The selected milestone id is invalid.")


def create_defect(ctx: Ctx) -> tuple[int, JSON]:
    """POST /defect/{code}."""
    code = ctx.project()
    _check_milestone(ctx, code, ctx.body)
    did = ctx.state.next_id("defect", code)
    member, author = ctx.member_and_author()
    defect = {
        "id": did,
        "title": ctx.body["title"],
        "actual_result": ctx.body["actual_result"],
        "severity": _severity(ctx.body["severity"]),
        "status": "open",
        "milestone_id": ctx.body.get("milestone_id"),
        "custom_fields": _custom_fields(ctx.body),
        "attachments": _attachments_view(ctx, ctx.body.get("attachments")),
        "resolved_at": None,
        "member_id": member,
        "author_id": author,
        "external_data": "",
        "runs": [],
        "results": [],
        "tags": _tags(ctx, ctx.body.get("tags")),
    }
    ctx.state.defects[code][did] = ctx.stamp(defect, created=True)
    return ok({"id": did})


def get_defect(ctx: Ctx) -> tuple[int, JSON]:
    """GET /defect/{code}/{id}."""
    code = ctx.project()
    return ok(_get(ctx.state.defects[code], ctx.int_param("id"), "Defect"))


def update_defect(ctx: Ctx) -> tuple[int, JSON]:
    """PATCH /defect/{code}/{id}."""
    code = ctx.project()
    defect = _get(ctx.state.defects[code], ctx.int_param("id"), "Defect")
    _check_milestone(ctx, code, ctx.body)
    _apply(defect, ctx.body, ("title", "actual_result", "milestone_id"))
    if "attachments" in ctx.body:
        defect["attachments"] = _attachments_view(ctx, ctx.body["attachments"])
    if "severity" in ctx.body:
        defect["severity"] = _severity(ctx.body["severity"])
    if "tags" in ctx.body:
        defect["tags"] = _tags(ctx, ctx.body["tags"])
    if "custom_field" in ctx.body:
        defect["custom_fields"] = _custom_fields(ctx.body)
    ctx.stamp(defect, created=False)
    return ok({"id": defect["id"]})


def delete_defect(ctx: Ctx) -> tuple[int, JSON]:
    """DELETE /defect/{code}/{id}."""
    return _delete_by_id(ctx, ctx.state.defects, "Defect")


def resolve_defect(ctx: Ctx) -> tuple[int, JSON]:
    """PATCH /defect/{code}/resolve/{id}."""
    code = ctx.project()
    defect = _get(ctx.state.defects[code], ctx.int_param("id"), "Defect")
    defect["status"] = "resolved"
    defect["resolved_at"] = ctx.iso()
    return ok({"id": defect["id"]})


def update_defect_status(ctx: Ctx) -> tuple[int, JSON]:
    """PATCH /defect/{code}/status/{id}."""
    code = ctx.project()
    defect = _get(ctx.state.defects[code], ctx.int_param("id"), "Defect")
    defect["status"] = ctx.body["status"]
    defect["resolved_at"] = ctx.iso() if ctx.body["status"] == "resolved" else None
    return ok()


# -- custom fields -------------------------------------------------------------------------


def _cf_options(values: list[JSON] | None) -> list[JSON]:
    return [
        {"id": v.get("id", i), "title": v.get("title", "")}
        for i, v in enumerate(values or (), start=1)
    ]


def _cf_view_v1(field: JSON) -> JSON:
    view = {k: v for k, v in field.items() if not k.startswith("_")}
    view["value"] = json.dumps(field["_options"]) if field["_options"] else None
    return view


def _cf_view_v2(field: JSON) -> JSON:
    view = {
        k: v
        for k, v in field.items()
        if not k.startswith("_") and k not in ("created", "updated", "value")
    }
    view["value"] = [
        {"id": o["id"], "title": o["title"], "slug": None, "is_default": False}
        for o in field["_options"]
    ] or None
    return view


def _cf_filtered(ctx: Ctx) -> list[JSON]:
    fields = list(ctx.state.custom_fields.values())
    entity, typ = ctx.q("entity"), ctx.q("type")
    if entity:
        fields = [f for f in fields if f["entity"] == entity]
    if typ:
        fields = [f for f in fields if f["type"] == typ]
    return fields


def list_custom_fields(ctx: Ctx) -> tuple[int, JSON]:
    """GET /custom_field."""
    return ok(paginate(ctx, [_cf_view_v1(f) for f in _cf_filtered(ctx)]))


def list_custom_fields_v2(ctx: Ctx) -> tuple[int, JSON]:
    """GET /v2/custom_field."""
    return ok(paginate(ctx, [_cf_view_v2(f) for f in _cf_filtered(ctx)]))


def create_custom_field(ctx: Ctx) -> tuple[int, JSON]:
    """POST /custom_field."""
    body = ctx.body
    if not 0 <= body["entity"] < len(CF_ENTITIES):
        raise field_error("entity", "The selected entity is invalid.")
    if not 0 <= body["type"] < len(CF_TYPES):
        raise field_error("type", "The selected type is invalid.")
    fid = ctx.state.next_id("custom_field")
    field = {
        "id": fid,
        "title": body["title"],
        "entity": CF_ENTITIES[body["entity"]],
        "type": CF_TYPES[body["type"]],
        "placeholder": body.get("placeholder"),
        "default_value": body.get("default_value"),
        "value": None,
        "is_required": body.get("is_required", False),
        "is_visible": body.get("is_visible", True),
        "is_filterable": body.get("is_filterable", True),
        "is_enabled_for_all_projects": body.get("is_enabled_for_all_projects", True),
        "projects_codes": list(body.get("projects_codes") or []),
        "_options": _cf_options(body.get("value")),
    }
    ctx.state.custom_fields[fid] = ctx.stamp(field, created=True)
    return ok({"id": fid})


def get_custom_field(ctx: Ctx) -> tuple[int, JSON]:
    """GET /custom_field/{id}."""
    return ok(_cf_view_v1(_get(ctx.state.custom_fields, ctx.int_param("id"), "Custom field")))


def get_custom_field_v2(ctx: Ctx) -> tuple[int, JSON]:
    """GET /v2/custom_field/{id}."""
    return ok(_cf_view_v2(_get(ctx.state.custom_fields, ctx.int_param("id"), "Custom field")))


def update_custom_field(ctx: Ctx) -> tuple[int, JSON]:
    """PATCH /custom_field/{id}."""
    field = _get(ctx.state.custom_fields, ctx.int_param("id"), "Custom field")
    _apply(
        field,
        ctx.body,
        (
            "title",
            "placeholder",
            "default_value",
            "is_filterable",
            "is_visible",
            "is_required",
            "is_enabled_for_all_projects",
            "projects_codes",
        ),
    )
    if "value" in ctx.body:
        field["_options"] = _cf_options(ctx.body["value"])
    ctx.stamp(field, created=False)
    return ok()


def delete_custom_field(ctx: Ctx) -> tuple[int, JSON]:
    """DELETE /custom_field/{id}."""
    fid = ctx.int_param("id")
    _get(ctx.state.custom_fields, fid, "Custom field")
    del ctx.state.custom_fields[fid]
    return ok()


# -- shared steps --------------------------------------------------------------------------


def _shared_content(ctx: Ctx, steps: list[JSON] | None) -> list[JSON]:
    return [
        {
            "hash": s.get("hash") or new_hash(ctx.state, "shared-step-content"),
            "action": s["action"],
            "expected_result": s.get("expected_result") or "",
            "data": s.get("data") or "",
            "attachments": [{"hash": str(h)} for h in s.get("attachments") or ()],
            "steps": list(s.get("steps") or []),
        }
        for s in steps or ()
    ]


def list_shared_steps(ctx: Ctx) -> tuple[int, JSON]:
    """GET /shared_step/{code}."""
    code = ctx.project()
    items = _search(ctx, ctx.state.shared_steps[code].values())
    return ok(paginate(ctx, items, len(ctx.state.shared_steps[code])))


def create_shared_step(ctx: Ctx) -> tuple[int, JSON]:
    """POST /shared_step/{code}."""
    code = ctx.project()
    h = new_hash(ctx.state, "shared-step")
    step = {
        "hash": h,
        "title": ctx.body["title"],
        "action": ctx.body.get("action") or "",
        "expected_result": ctx.body.get("expected_result") or "",
        "data": ctx.body.get("data") or "",
        "steps": _shared_content(ctx, ctx.body.get("steps")),
        "cases": [],
        "cases_count": 0,
    }
    ctx.state.shared_steps[code][h] = ctx.stamp(step, created=True)
    return ok({"hash": h})


def get_shared_step(ctx: Ctx) -> tuple[int, JSON]:
    """GET /shared_step/{code}/{hash}."""
    code = ctx.project()
    return ok(_get(ctx.state.shared_steps[code], ctx.params["hash"], "Shared step"))


def update_shared_step(ctx: Ctx) -> tuple[int, JSON]:
    """PATCH /shared_step/{code}/{hash}."""
    code = ctx.project()
    step = _get(ctx.state.shared_steps[code], ctx.params["hash"], "Shared step")
    _apply(step, ctx.body, ("title", "action", "expected_result", "data"))
    if "steps" in ctx.body:
        step["steps"] = _shared_content(ctx, ctx.body["steps"])
    ctx.stamp(step, created=False)
    return ok({"hash": step["hash"]})


def delete_shared_step(ctx: Ctx) -> tuple[int, JSON]:
    """DELETE /shared_step/{code}/{hash}."""
    code = ctx.project()
    h = ctx.params["hash"]
    _get(ctx.state.shared_steps[code], h, "Shared step")
    del ctx.state.shared_steps[code][h]
    return ok({"hash": h})


Handler = Callable[[Ctx], tuple[int, JSON]]

HANDLERS: dict[str, Handler] = {
    "get-projects": list_projects,
    "create-project": create_project,
    "get-project": get_project,
    "delete-project": delete_project,
    "get-suites": list_suites,
    "create-suite": create_suite,
    "get-suite": get_suite,
    "update-suite": update_suite,
    "delete-suite": delete_suite,
    "get-cases": list_cases,
    "create-case": create_case,
    "get-case": get_case,
    "update-case": update_case,
    "delete-case": delete_case,
    "bulk": bulk_cases,
    "get-milestones": list_milestones,
    "create-milestone": create_milestone,
    "get-milestone": get_milestone,
    "update-milestone": update_milestone,
    "delete-milestone": delete_milestone,
    "get-plans": list_plans,
    "create-plan": create_plan,
    "get-plan": get_plan,
    "update-plan": update_plan,
    "delete-plan": delete_plan,
    "get-environments": list_environments,
    "create-environment": create_environment,
    "get-environment": get_environment,
    "update-environment": update_environment,
    "delete-environment": delete_environment,
    "get-configurations": list_configurations,
    "create-configuration": create_configuration,
    "create-configuration-group": create_configuration_group,
    "get-runs": list_runs,
    "create-run": create_run,
    "get-run": get_run,
    "update-run": update_run,
    "delete-run": delete_run,
    "complete-run": complete_run,
    "update-run-publicity": run_public,
    "upload-attachment": upload_attachment,
    "get-attachments": list_attachments,
    "get-attachment": get_attachment,
    "delete-attachment": delete_attachment,
    "get-defects": list_defects,
    "create-defect": create_defect,
    "get-defect": get_defect,
    "update-defect": update_defect,
    "delete-defect": delete_defect,
    "resolve-defect": resolve_defect,
    "update-defect-status": update_defect_status,
    "get-custom-fields": list_custom_fields,
    "create-custom-field": create_custom_field,
    "get-custom-field": get_custom_field,
    "update-custom-field": update_custom_field,
    "delete-custom-field": delete_custom_field,
    "get-custom-fields-v2": list_custom_fields_v2,
    "get-custom-field-v2": get_custom_field_v2,
    "get-shared-steps": list_shared_steps,
    "create-shared-step": create_shared_step,
    "get-shared-step": get_shared_step,
    "update-shared-step": update_shared_step,
    "delete-shared-step": delete_shared_step,
}

# The other resources, each in its own module (they import this one, hence the late import).
from . import (  # noqa: E402
    _case_issues,
    _qql,
    _results,
    _reviews,
    _shared_parameters,
    _system_fields,
    _users,
)

for _module in (
    _users,
    _system_fields,
    _reviews,
    _shared_parameters,
    _case_issues,
    _qql,
    _results,
):
    HANDLERS.update(_module.HANDLERS)
