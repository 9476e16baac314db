"""Results (v1 and v2) kept whole, and what they create: cases, suite chains, defects.

A reporter's result carries more than the v1 read model shows. What has a place in the
read models is stored there: nested steps with their own status, start/end times,
duration and attachments; the suite hierarchy as a chain of suites linked by
``parent_id``; v2 ``fields`` and step texts on the case a result auto-creates; a defect
for a failed result sent with ``defect: true``. What has no place (the v2 ``id``,
``signature``, ``params``, ``fields`` as sent, ``execution.start_time`` and ``thread``) is
kept on the stored result under keys starting with ``_``: tests read them from
``fake.state.results``, the API never shows them.

Case matching: a result with a ``signature`` finds its case by signature only, so two
parametrized runs of one test (same title, same suite, different parameters) stay two
cases; without a signature, by title within its suite, as the service does for v1.

Where the spec leaves the service's behaviour open, :class:`~._config.ResultRules` holds the
choice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

import attrs

from ._api import (
    ApiError,
    Ctx,
    Handler,
    _attachments_view,
    _get,
    _new_case,
    _new_suite,
    _run,
    create_defect,
    field_error,
    new_hash,
    ok,
    paginate,
)
from ._state import JSON

__all__ = ["HANDLERS"]

STEP_STATUS = {"passed": 1, "failed": 2, "blocked": 3, "skipped": 5, "in_progress": 7}
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


# -- steps ---------------------------------------------------------------------------------


def _epoch(value: Any) -> int | None:
    return None if value is None else int(value)


def step_results(ctx: Ctx, steps: Iterable[JSON] | None) -> list[JSON] | None:
    """Result steps in the read shape, from v1 (flat) or v2 (``data``/``execution``) steps."""
    if steps is None:
        return None
    out = []
    for i, step in enumerate(steps, start=1):
        if not isinstance(step, dict):
            continue
        execution = step.get("execution") or {}
        status = step.get("status") or execution.get("status") or "passed"
        start, end = execution.get("start_time"), execution.get("end_time")
        duration = execution.get("duration")
        if duration is None and start is not None and end is not None:
            duration = max(0, round((end - start) * 1000))
        hashes = [*(step.get("attachments") or ()), *(execution.get("attachments") or ())]
        out.append(
            {
                "status": STEP_STATUS.get(str(status), 1),
                "position": step.get("position", i),
                "comment": step.get("comment") or execution.get("comment") or "",
                "start_time": _epoch(start),
                "end_time": _epoch(end),
                "duration_ms": duration,
                "attachments": _attachments_view(ctx, hashes),
                "steps": step_results(ctx, step.get("steps")) or [],
            }
        )
    return out


def _case_steps(ctx: Ctx, steps: Iterable[JSON] | None) -> list[JSON]:
    """Case steps (the ``TestStep`` read shape) from the texts of result steps."""
    out = []
    for i, step in enumerate(steps or (), start=1):
        if not isinstance(step, dict):
            continue
        raw = step.get("data")
        data: JSON = raw if isinstance(raw, dict) else {}
        out.append(
            {
                "hash": new_hash(ctx.state, "step"),
                "shared_step_hash": None,
                "shared_step_nested_hash": None,
                "position": i,
                "action": data.get("action") or step.get("action") or "",
                "expected_result": data.get("expected_result") or step.get("expected_result"),
                "data": data.get("input_data") if data else step.get("data"),
                "attachments": _attachments_view(ctx, data.get("attachments")),
                "steps": _case_steps(ctx, step.get("steps")),
            }
        )
    return out


# -- suites and cases ----------------------------------------------------------------------


def _suite_key(suite: JSON) -> Any:
    return (suite["title"], suite["parent_id"])


def suite_chain(ctx: Ctx, code: str, levels: Iterable[tuple[str, Any]]) -> int | None:
    """The id of the innermost suite of a path, creating the missing suites.

    Args:
        ctx: The request.
        code: Project code.
        levels: ``(title, public_id)`` from the outermost suite in; a title holding TAB
            characters is a path of its own (the v1 ``suite_title`` convention, also
            what qase-pytest sends for ``@qase.suite("A\\tB")``); a ``public_id`` naming
            an existing suite is used as is.
    """
    state = ctx.state
    suites = state.suites[code]
    parent: int | None = None
    for title, public_id in levels:
        if public_id is not None and public_id in suites:
            parent = int(public_id)
            continue
        for part in str(title).split("\t"):
            part = part.strip()
            if not part:
                continue
            key = (part, parent)
            found = state.find("suite-chain", code, suites, _suite_key, key)
            if found is None:
                found = int(_new_suite(ctx, code, {"title": part, "parent_id": parent})["id"])
                state.remember("suite-chain", code, suites, key, found)
            parent = found
    return parent


def _case_key(case: JSON) -> Any:
    return (case["title"], case["suite_id"])


def _option(ctx: Ctx, field_slug: str, value: Any) -> int | None:
    """The id of the option of a case system field named by its slug or title."""
    text = str(value).strip().lower()
    for field in ctx.state.system_fields:
        if field["slug"] != field_slug or field["entity"] != 0:
            continue
        for option in field["options"]:
            if text in (str(option["slug"]).lower(), str(option["title"]).lower()):
                return int(option["id"])
    return None


def case_body(ctx: Ctx, title: str, suite_id: int | None, fields: Mapping[str, Any]) -> JSON:
    """The create-case body for an auto-created case, with the result's ``fields``."""
    body: JSON = {"title": title, "suite_id": suite_id, "automation": 2, "isManual": False}
    for name in ("description", "preconditions", "postconditions"):
        if fields.get(name) is not None:
            body[name] = str(fields[name])
    for name in ("severity", "priority", "behavior", "type", "layer"):
        if fields.get(name) is not None:
            value = _option(ctx, name, fields[name])
            if value is not None:
                body[name] = value
    if fields.get("is_flaky") is not None:
        body["is_flaky"] = int(str(fields["is_flaky"]).strip().lower() in TRUE_WORDS)
    if fields.get("tags"):
        tags = fields["tags"]
        items = tags if isinstance(tags, list) else str(tags).split(",")
        body["tags"] = [t.strip() for t in items if str(t).strip()]
    custom: dict[str, str] = {}
    for field in ctx.state.custom_fields.values():
        if field["entity"] != "case":
            continue
        for key in (str(field["id"]), str(field["title"]).lower()):
            value = next((v for k, v in fields.items() if str(k).lower() == key), None)
            if value is not None:
                custom[str(field["id"])] = str(value)
    if custom:
        body["custom_field"] = custom
    return body


def _parameters(params: Mapping[str, Any], groups: Iterable[Any] | None) -> list[JSON]:
    """Case parameters as written (singles and groups of at least two) from result params."""
    grouped = [[str(n) for n in g if str(n) in params] for g in groups or () if g]
    grouped = [g for g in grouped if len(g) >= 2]
    in_groups = {n for g in grouped for n in g}
    out: list[JSON] = [
        {"title": str(k), "values": [str(v)]} for k, v in params.items() if k not in in_groups
    ]
    out += [{"items": [{"title": n, "values": [str(params[n])]} for n in g]} for g in grouped]
    return out


def _author(ctx: Ctx, value: Any) -> tuple[int, int] | None:
    """``(member id, author id)`` of the user a ``fields.author`` names (id, name or e-mail)."""
    text = str(value).strip().lower()
    if not text:
        return None
    for user in ctx.state.users.values():
        names = (str(user["id"]), str(user.get("name", "")).lower(), str(user.get("email", "")))
        if text in (n.lower() for n in names):
            author = ctx.state.author_of(user["id"])
            return int(user["id"]), int(author["id"]) if author else int(user["id"])
    return None


@attrs.frozen(kw_only=True)
class CaseSpec:
    """What a result says about the case it belongs to."""

    title: str
    suites: tuple[tuple[str, Any], ...] = ()
    signature: str | None = None
    fields: Mapping[str, Any] = attrs.field(factory=dict)
    steps: tuple[JSON, ...] = ()
    params: Mapping[str, Any] = attrs.field(factory=dict)
    param_groups: tuple[Any, ...] = ()
    steps_type: str | None = None


def match_case(ctx: Ctx, code: str, spec: CaseSpec) -> int:
    """The case a result belongs to: found by signature (or title in its suite), or made."""
    state = ctx.state
    cases = state.cases[code]
    signatures = state.signatures[code]
    if spec.signature:
        found = signatures.get(spec.signature)
        if found is not None and found in cases:
            return found
    suite_id = suite_chain(ctx, code, spec.suites)
    key = (spec.title, suite_id)
    if not spec.signature:
        found = state.find("case", code, cases, _case_key, key)
        if found is not None:
            return found
    body = case_body(ctx, spec.title, suite_id, spec.fields)
    if spec.params:
        body["params"] = {str(k): [str(v)] for k, v in spec.params.items()}
        body["parameters"] = _parameters(spec.params, spec.param_groups)
    case = _new_case(ctx, code, body)
    case["isToBeAutomated"] = False
    author = _author(ctx, spec.fields.get("author") or "")
    if author is not None:
        case["member_id"], case["author_id"] = author
    if spec.steps:
        case["steps"] = _case_steps(ctx, spec.steps)
        case["steps_type"] = spec.steps_type or "classic"
    cid = int(case["id"])
    if spec.signature:
        signatures[spec.signature] = cid
    else:
        state.remember("case", code, cases, key, cid)
    return cid


# -- storing -------------------------------------------------------------------------------


def _check_run_open(ctx: Ctx, run: JSON) -> None:
    if run["status"] == 1 and not ctx.rules.results_in_closed_runs:
        raise ApiError(400, "Test run is not active")


def _store(ctx: Ctx, code: str, run: JSON, result: JSON) -> str:
    h = new_hash(ctx.state, "result")
    result["hash"] = h
    result["result_hash"] = h
    result["run_id"] = run["id"]
    if result["case_id"] not in run["cases"]:
        run["cases"].append(result["case_id"])
    ctx.state.results[code][h] = result
    run["time_spent"] += result["time_spent_ms"]
    ctx.on_result_stored()
    return h


def _defect(ctx: Ctx, code: str, run: JSON, title: str, result: JSON, hashes: list[str]) -> int:
    """A defect for a failed result, through the one defect-creating operation."""
    fields = result.get("_fields") or {}
    severity = _option(ctx, "severity", fields.get("severity") or "") or 0
    body = {
        "title": title,
        "actual_result": result.get("comment") or result.get("stacktrace") or "",
        "severity": severity,
        "attachments": [a["hash"] for a in result.get("_attachments") or ()],
    }
    _, out = create_defect(attrs.evolve(ctx, params={"code": code}, body=body))
    did = int(out["result"]["id"])
    defect = ctx.state.defects[code][did]
    defect["runs"] = [run["id"]]
    defect["results"] = list(hashes)
    return did


def _attachment_refs(ctx: Ctx, hashes: Iterable[Any] | None) -> list[JSON]:
    return [{"hash": str(h)} for h in hashes or () if str(h) in ctx.state.attachments]


def _time_ms(execution: JSON) -> int:
    duration = execution.get("duration")
    start, end = execution.get("start_time"), execution.get("end_time")
    if duration is None and start is not None and end is not None:
        duration = max(0, round((end - start) * 1000))
    return int(duration or 0)


# -- v1 ------------------------------------------------------------------------------------


def _v1_case_id(ctx: Ctx, code: str, body: JSON) -> int:
    cid = body.get("case_id")
    if cid is not None:
        return int(cid)
    case = body["case"]
    suite_title = case.get("suite_title")
    spec = CaseSpec(
        title=case["title"],
        suites=((suite_title, None),) if suite_title else (),
        fields={k: v for k, v in case.items() if k not in ("title", "suite_title")},
        steps=tuple(body.get("steps") or ()),
        params=body.get("param") or {},
        param_groups=tuple(body.get("param_groups") or ()),
    )
    return match_case(ctx, code, spec)


def _check_v1(ctx: Ctx, code: str, item: JSON, prefix: str) -> None:
    cid = item.get("case_id")
    if cid is not None and cid not in ctx.state.cases[code]:
        raise field_error(f"{prefix}case_id", "The selected case id is invalid.")
    if cid is None and not (item.get("case") or {}).get("title"):
        raise field_error(f"{prefix}case_id", "The case id field is required when case is absent.")


def _v1_store(ctx: Ctx, code: str, run: JSON, body: JSON) -> tuple[int, str]:
    case_id = _v1_case_id(ctx, code, body)
    if body.get("time_ms") is not None:
        spent = int(body["time_ms"])
    else:
        spent = int(body.get("time") or 0) * 1000
    result: JSON = {
        "hash": "",
        "result_hash": "",
        "comment": body.get("comment"),
        "stacktrace": body.get("stacktrace"),
        "run_id": 0,
        "case_id": case_id,
        "steps": step_results(ctx, body.get("steps")),
        "status": body["status"],
        "is_api_result": True,
        "time_spent_ms": spent,
        "end_time": ctx.iso(),
        "attachments": _attachments_view(ctx, body.get("attachments")),
        "_start_time": body.get("start_time"),
        "_params": body.get("param") or {},
        "_param_groups": body.get("param_groups"),
        "_attachments": _attachment_refs(ctx, body.get("attachments")),
    }
    h = _store(ctx, code, run, result)
    if body.get("defect") and body["status"] == "failed":
        title = ctx.state.cases[code][case_id]["title"]
        result["_defect_id"] = _defect(ctx, code, run, title, result, [h])
    return case_id, h


def _view(result: JSON) -> JSON:
    return {k: v for k, v in result.items() if not k.startswith("_")}


def list_results(ctx: Ctx) -> tuple[int, JSON]:
    """GET /result/{code} (filters: status, run, case_id)."""
    code = ctx.project()
    results = list(ctx.state.results[code].values())
    status = ctx.q("status")
    if status:
        results = [r for r in results if r["status"] == status]
    for name, key in (("run", "run_id"), ("case_id", "case_id")):
        raw = ctx.q(name)
        if raw:
            wanted = {v.strip() for v in raw.split(",") if v.strip()}
            results = [r for r in results if str(r[key]) in wanted]
    views = [_view(r) for r in results]
    return ok(paginate(ctx, views, len(ctx.state.results[code])))


def get_result(ctx: Ctx) -> tuple[int, JSON]:
    """GET /result/{code}/{hash}."""
    code = ctx.project()
    return ok(_view(_get(ctx.state.results[code], ctx.params["hash"], "Result")))


def create_result(ctx: Ctx) -> tuple[int, JSON]:
    """POST /result/{code}/{id} (400 into a completed run, unless the rules allow it)."""
    code = ctx.project()
    run = _run(ctx, code)
    _check_run_open(ctx, run)
    _check_v1(ctx, code, ctx.body, "")
    case_id, h = _v1_store(ctx, code, run, ctx.body)
    return ok({"case_id": case_id, "hash": h})


def create_result_bulk(ctx: Ctx) -> tuple[int, JSON]:
    """POST /result/{code}/{id}/bulk (413 over ``max_bulk``; one invalid rejects all)."""
    code = ctx.project()
    run = _run(ctx, code)
    items = ctx.body["results"]
    if len(items) > ctx.limits.max_bulk:
        raise ApiError(413, f"At most {ctx.limits.max_bulk} results per request.")
    _check_run_open(ctx, run)
    for i, item in enumerate(items):
        _check_v1(ctx, code, item, f"results.{i}.")
    for item in items:
        _v1_store(ctx, code, run, item)
    return ok()


def update_result(ctx: Ctx) -> tuple[int, JSON]:
    """PATCH /result/{code}/{id}/{hash}."""
    code = ctx.project()
    run = _run(ctx, code)
    result = _get(ctx.state.results[code], ctx.params["hash"], "Result")
    if result["run_id"] != run["id"]:
        raise ApiError(404, "Result not found.")
    for name in ("status", "comment", "stacktrace"):
        if name in ctx.body:
            result[name] = ctx.body[name]
    if "time_ms" in ctx.body:
        result["time_spent_ms"] = ctx.body["time_ms"] or 0
    if "steps" in ctx.body:
        result["steps"] = step_results(ctx, ctx.body["steps"])
    if "attachments" in ctx.body:
        result["attachments"] = _attachments_view(ctx, ctx.body["attachments"])
    return ok({"hash": result["hash"]})


def delete_result(ctx: Ctx) -> tuple[int, JSON]:
    """DELETE /result/{code}/{id}/{hash}."""
    code = ctx.project()
    run = _run(ctx, code)
    result = _get(ctx.state.results[code], ctx.params["hash"], "Result")
    if result["run_id"] != run["id"]:
        raise ApiError(404, "Result not found.")
    del ctx.state.results[code][result["hash"]]
    return ok({"hash": result["hash"]})


# -- v2 ------------------------------------------------------------------------------------


def _v2_ids(item: JSON) -> list[int]:
    if item.get("testops_id") is not None:
        return [int(item["testops_id"])]
    return [int(i) for i in item.get("testops_ids") or ()]


def _check_v2(ctx: Ctx, code: str, item: JSON, prefix: str) -> None:
    if ctx.rules.unknown_case_ids != "reject":
        return
    name = "testops_id" if item.get("testops_id") is not None else "testops_ids"
    for cid in _v2_ids(item):
        if cid not in ctx.state.cases[code]:
            raise field_error(f"{prefix}{name}", "The selected case id is invalid.")


def _v2_spec(item: JSON) -> CaseSpec:
    suites = ((item.get("relations") or {}).get("suite") or {}).get("data") or []
    return CaseSpec(
        title=item["title"],
        suites=tuple((s.get("title") or "", s.get("public_id")) for s in suites),
        signature=item.get("signature") or None,
        fields=item.get("fields") or {},
        steps=tuple(item.get("steps") or ()),
        params=item.get("params") or {},
        param_groups=tuple(item.get("param_groups") or ()),
        steps_type=item.get("steps_type"),
    )


def _v2_store(ctx: Ctx, code: str, run: JSON, item: JSON) -> JSON:
    key = item.get("id")
    seen = ctx.state.idempotency[(code, run["id"])]
    if key is not None and key in seen:
        ctx.on_duplicate()
        first = ctx.state.results[code].get(seen[key][0]) if seen[key] else None
        return {"case_id": first["case_id"] if first else None, "hash": seen[key][0]}
    execution = item["execution"]
    end = execution.get("end_time")
    case_ids = _v2_ids(item)
    if ctx.rules.unknown_case_ids == "auto_create":
        case_ids = [c for c in case_ids if c in ctx.state.cases[code]]
    if not case_ids:
        case_ids = [match_case(ctx, code, _v2_spec(item))]
    fields = item.get("fields") or {}
    hashes = []
    results = []
    for case_id in case_ids:
        result: JSON = {
            "hash": "",
            "result_hash": "",
            "comment": item.get("message"),
            "stacktrace": execution.get("stacktrace"),
            "run_id": 0,
            "case_id": case_id,
            "steps": step_results(ctx, item.get("steps")),
            "status": execution["status"],
            "is_api_result": True,
            "time_spent_ms": _time_ms(execution),
            "end_time": ctx.iso(end) if end is not None else ctx.iso(),
            "attachments": _attachments_view(ctx, item.get("attachments")),
            "_id": key,
            "_title": item["title"],
            "_signature": item.get("signature"),
            "_start_time": execution.get("start_time"),
            "_end_time": end,
            "_thread": execution.get("thread"),
            "_fields": dict(fields),
            "_params": dict(item.get("params") or {}),
            "_param_groups": item.get("param_groups"),
            "_attachments": _attachment_refs(ctx, item.get("attachments")),
        }
        hashes.append(_store(ctx, code, run, result))
        results.append(result)
    if item.get("defect") and execution["status"] == "failed":
        did = _defect(ctx, code, run, item["title"], results[0], hashes)
        for result in results:
            result["_defect_id"] = did
    if key is not None:
        seen[key] = hashes
    return {"case_id": case_ids[0], "hash": hashes[0]}


def _check_error_context(ctx: Ctx, items: list[JSON]) -> None:
    total = sum(len((i.get("execution") or {}).get("error_context") or "") for i in items)
    if total > ctx.limits.max_error_context:
        raise ApiError(413, f"error_context totals over {ctx.limits.max_error_context} characters.")


def create_result_v2(ctx: Ctx) -> tuple[int, JSON]:
    """POST /v2/{project_code}/run/{run_id}/result (202; ``id`` is an idempotency key)."""
    code = ctx.project()
    run = _run(ctx, code, "run_id")
    _check_run_open(ctx, run)
    _check_error_context(ctx, [ctx.body])
    _check_v2(ctx, code, ctx.body, "")
    return ok(_v2_store(ctx, code, run, ctx.body), status=202)


def create_results_v2(ctx: Ctx) -> tuple[int, JSON]:
    """POST /v2/{project_code}/run/{run_id}/results (202; 413 over ``max_bulk``)."""
    code = ctx.project()
    run = _run(ctx, code, "run_id")
    items = ctx.body.get("results")
    if not isinstance(items, list) or not items:
        raise field_error("results", "The results field is required.")
    if len(items) > ctx.limits.max_bulk:
        raise ApiError(413, f"At most {ctx.limits.max_bulk} results per request.")
    _check_run_open(ctx, run)
    _check_error_context(ctx, items)
    for i, item in enumerate(items):
        _check_v2(ctx, code, item, f"results.{i}.")
    for item in items:
        _v2_store(ctx, code, run, item)
    return ok(status=202)


# -- run external issues -------------------------------------------------------------------


def run_external_issue(ctx: Ctx) -> tuple[int, JSON]:
    """POST /run/{code}/external-issue (one issue per run; ``null`` removes it)."""
    code = ctx.project()
    runs = ctx.state.runs[code]
    links = ctx.body["links"]
    for i, link in enumerate(links):
        if link["run_id"] not in runs:
            raise field_error(f"links.{i}.run_id", "The selected run id is invalid.")
    kind = ctx.body["type"]
    for link in links:
        issue = link.get("external_issue")
        runs[link["run_id"]]["external_issue"] = (
            None
            if issue is None
            else {
                "id": issue,
                "type": kind,
                "link": f"{ctx.base_url}/external-issue/{kind}/{quote(issue, safe='')}",
            }
        )
    return ok()


HANDLERS: dict[str, Handler] = {
    "get-results": list_results,
    "get-result": get_result,
    "create-result": create_result,
    "create-result-bulk": create_result_bulk,
    "update-result": update_result,
    "delete-result": delete_result,
    "create-result-v2": create_result_v2,
    "create-results-v2": create_results_v2,
    "run-update-external-issue": run_external_issue,
}
