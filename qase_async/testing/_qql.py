"""``GET /search``: a subset of the Qase Query Language (QQL) over the fake's state.

Grammar (keywords are case-insensitive)::

    query      := or
    or         := and ("or" and)*
    and        := unary ("and" unary)*
    unary      := "not" unary | "(" or ")" | condition
    condition  := FIELD op VALUE
                | FIELD ["not"] "in" "[" VALUE ("," VALUE)* "]"
                | FIELD "is" ["not"] ("empty" | "null")
    op         := "=" | "!=" | "~" | "!~" | ">" | ">=" | "<" | "<="
    VALUE      := "string" | 'string' | number | true | false | null | bare-word

A query must name the entity it looks for (``entity = "case"``, ``entity in ["run",
"result"]``): ``case``, ``defect``, ``run``, ``result``, ``plan`` or ``requirement``.
Strings compare case-insensitively; ``~`` is "contains"; list fields (``tags``) match when
any element does; coded fields (``severity``, ``priority``, ``status``...) match their
number, slug or title. A malformed query, an unknown field or entity answers 400.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import attrs

from ._api import ApiError, Ctx, Handler, _bounded_int, _plan_view, _run_view, ok
from ._state import JSON, FakeState

__all__ = ["HANDLERS", "QQLError", "parse"]

ENTITIES = ("case", "defect", "run", "result", "plan", "requirement")
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<num>-?\d+(?:\.\d+)?(?![\w.]))
      | (?P<op>!=|!~|>=|<=|=|~|>|<)
      | (?P<punct>[()\[\],])
      | (?P<word>[A-Za-z_][\w.\-]*)
    )""",
    re.VERBOSE,
)
MAX_DEPTH = 32  # nested parentheses and "not"s: a bound, so no query can exhaust the stack


class QQLError(ValueError):
    """A query the fake cannot understand."""


@attrs.frozen
class Cond:
    """``field op values``."""

    field: str
    op: str
    values: tuple[Any, ...]


@attrs.frozen
class Bool:
    """``and`` / ``or`` of two parts, or ``not`` of one (``right`` is None)."""

    op: str
    left: Node
    right: Node | None = None


Node = Cond | Bool


def _tokens(query: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    pos = 0
    text = query.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise QQLError(f"Unexpected character at position {pos + 1}.")
        pos = m.end()
        kind = m.lastgroup
        raw = m.group(kind or "")
        if kind == "str":
            out.append(("value", re.sub(r"\\(.)", r"\1", raw[1:-1])))
        elif kind == "num":
            out.append(("value", float(raw) if "." in raw else int(raw)))
        elif kind == "word":
            out.append(("word", raw))
        else:
            out.append((kind or "", raw))
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, Any]]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def keyword(self, *words: str) -> bool:
        tok = self.peek()
        if tok is not None and tok[0] == "word" and tok[1].lower() in words:
            self.pos += 1
            return True
        return False

    def expect(self, kind: str, value: str | None = None) -> Any:
        tok = self.peek()
        if tok is None or tok[0] != kind or (value is not None and tok[1] != value):
            got = "the end of the query" if tok is None else repr(tok[1])
            raise QQLError(f"Expected {value or kind}, got {got}.")
        self.pos += 1
        return tok[1]

    def parse(self) -> Node:
        node = self.or_()
        if self.peek() is not None:
            raise QQLError(f"Unexpected {self.peek()[1]!r}.")  # type: ignore[index]
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.keyword("or"):
            node = Bool("or", node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.unary()
        while self.keyword("and"):
            node = Bool("and", node, self.unary())
        return node

    def unary(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QQLError(f"The query nests deeper than {MAX_DEPTH} levels.")
        try:
            if self.keyword("not"):
                return Bool("not", self.unary())
            if self.peek() == ("punct", "("):
                self.pos += 1
                node = self.or_()
                self.expect("punct", ")")
                return node
            return self.condition()
        finally:
            self.depth -= 1

    def value(self) -> Any:
        tok = self.peek()
        if tok is None or tok[0] not in ("value", "word"):
            got = "the end of the query" if tok is None else repr(tok[1])
            raise QQLError(f"Expected a value, got {got}.")
        self.pos += 1
        if tok[0] == "word":
            return {"true": True, "false": False, "null": None}.get(tok[1].lower(), tok[1])
        return tok[1]

    def condition(self) -> Cond:
        field = str(self.expect("word")).lower()
        if self.keyword("is"):
            negate = self.keyword("not")
            if not self.keyword("empty", "null"):
                raise QQLError("Expected 'empty' or 'null' after 'is'.")
            return Cond(field, "is not empty" if negate else "is empty", ())
        negate = self.keyword("not")
        if self.keyword("in"):
            self.expect("punct", "[")
            values = [self.value()]
            while self.peek() == ("punct", ","):
                self.pos += 1
                values.append(self.value())
            self.expect("punct", "]")
            return Cond(field, "not in" if negate else "in", tuple(values))
        if negate:
            raise QQLError("Expected 'in' after 'not'.")
        op = self.expect("op")
        return Cond(field, op, (self.value(),))


def parse(query: str) -> Node:
    """Parse a QQL query.

    Raises:
        QQLError: The query is malformed, names an unknown entity or no entity at all.
    """
    node = _Parser(_tokens(query)).parse()
    named = False
    for cond in _conditions(node):
        if cond.field == "entity":
            named = True
            for value in cond.values:
                if str(value).lower() not in ENTITIES:
                    raise QQLError(f"Unknown entity {value!r}: one of {', '.join(ENTITIES)}.")
    if not named:
        raise QQLError('The query must name an entity, e.g. entity = "case".')
    return node


def _conditions(node: Node) -> Iterator[Cond]:
    if isinstance(node, Cond):
        yield node
        return
    yield from _conditions(node.left)
    if node.right is not None:
        yield from _conditions(node.right)


# -- evaluation ----------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def _equal(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return str(a).lower() == str(b).lower()
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return na == nb
    return str(a).lower() == str(b).lower()


def _order(a: Any, b: Any) -> int | None:
    if a is None or b is None:
        return None
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return (na > nb) - (na < nb)
    sa, sb = str(a), str(b)
    return (sa > sb) - (sa < sb)


def _test(op: str, actual: Any, wanted: Any) -> bool:
    if op == "=":
        return _equal(actual, wanted)
    if op == "~":
        return actual is not None and str(wanted).lower() in str(actual).lower()
    if op == "in":
        return any(_equal(actual, w) for w in wanted)
    order = _order(actual, wanted)
    if order is None:
        return False
    return {">": order > 0, ">=": order >= 0, "<": order < 0, "<=": order <= 0}[op]


_NEGATED = {"!=": "=", "!~": "~", "not in": "in"}


def _holds(cond: Cond, record: JSON) -> bool:
    value = record.get(cond.field)
    if cond.op in ("is empty", "is not empty"):
        empty = value is None or value == "" or value == []
        return empty if cond.op == "is empty" else not empty
    op = _NEGATED.get(cond.op, cond.op)
    wanted: Any = cond.values if op == "in" else cond.values[0]
    # A coded field is a list of aliases, a tag field a list of titles: any may match.
    candidates = value if isinstance(value, list) else [value]
    found = any(_test(op, v, wanted) for v in candidates)
    return not found if cond.op in _NEGATED else found


def _eval(node: Node, record: JSON) -> bool:
    if isinstance(node, Cond):
        return _holds(node, record)
    if node.op == "not":
        return not _eval(node.left, record)
    assert node.right is not None
    if node.op == "and":
        return _eval(node.left, record) and _eval(node.right, record)
    return _eval(node.left, record) or _eval(node.right, record)


# -- the entities, as QQL sees them and as search answers them -----------------------------


def _coded(state: FakeState) -> dict[str, dict[int, list[Any]]]:
    """System field slug -> option id -> its aliases ``[id, slug, title]``."""
    return {
        f["slug"]: {o["id"]: [o["id"], o["slug"], o["title"]] for o in f["options"] or ()}
        for f in state.system_fields
    }


def _scalars(entity: JSON) -> JSON:
    return {k: v for k, v in entity.items() if isinstance(v, (str, int, float, type(None)))}


def _tags(entity: JSON) -> list[Any]:
    return [t.get("title") for t in entity.get("tags") or ()]


def _case(ctx: Ctx, code: str, case: JSON, coded: dict[str, dict[int, list[Any]]]) -> JSON:
    record = _scalars(case)
    for name in (
        "severity",
        "priority",
        "type",
        "layer",
        "is_flaky",
        "behavior",
        "automation",
        "status",
    ):
        value: Any = case.get(name)
        record[name] = coded.get(name, {}).get(value, [value])
    record.update(suite=case.get("suite_id"), milestone=case.get("milestone_id"), tags=_tags(case))
    return record


def _defect(ctx: Ctx, code: str, defect: JSON, coded: dict[str, dict[int, list[Any]]]) -> JSON:
    record = _scalars(defect)
    record.update(tags=_tags(defect), milestone=defect.get("milestone_id"))
    return record


def _run(ctx: Ctx, code: str, run: JSON, coded: dict[str, dict[int, list[Any]]]) -> JSON:
    record = _scalars(run)
    env = run.get("environment") or {}
    record.update(
        status=[run.get("status"), run.get("status_text")],
        environment=[run.get("_environment_id"), env.get("slug"), env.get("title")],
        milestone=[run.get("_milestone_id"), (run.get("milestone") or {}).get("title")],
        milestone_id=run.get("_milestone_id"),
        environment_id=run.get("_environment_id"),
        plan=run.get("plan_id"),
        tags=_tags(run),
    )
    return record


def _result(ctx: Ctx, code: str, result: JSON, coded: dict[str, dict[int, list[Any]]]) -> JSON:
    record = _scalars(result)
    record.update(id=result.get("hash"), run=result.get("run_id"), case=result.get("case_id"))
    return record


def _plain(ctx: Ctx, code: str, entity: JSON, coded: dict[str, dict[int, list[Any]]]) -> JSON:
    return _scalars(entity)


def _strip(entity: JSON) -> JSON:
    return {k: v for k, v in entity.items() if not k.startswith("_")}


def _run_found(ctx: Ctx, code: str, run: JSON) -> JSON:
    view = _run_view(ctx, code, run)
    # A run carrying ``plan_id`` would fit the plan shape too, and a search entity must
    # fit exactly one shape of the spec's ``oneOf``.
    view.pop("plan_id", None)
    return view


_Table = Callable[[FakeState], dict[str, dict[Any, JSON]]]
_Record = Callable[[Ctx, str, JSON, dict[str, dict[int, list[Any]]]], JSON]
_View = Callable[[Ctx, str, JSON], JSON]

_KINDS: dict[str, tuple[_Table, _Record, _View]] = {
    "case": (
        lambda s: s.cases,
        _case,
        lambda ctx, code, e: {**_strip(e), "test_case_id": e["id"]},
    ),
    "defect": (
        lambda s: s.defects,
        _defect,
        lambda ctx, code, e: {**_strip(e), "defect_id": e["id"], "resolved": e.get("resolved_at")},
    ),
    "run": (lambda s: s.runs, _run, _run_found),
    "result": (lambda s: s.results, _result, lambda ctx, code, e: _strip(e)),
    "plan": (
        lambda s: s.plans,
        _plain,
        lambda ctx, code, e: {**_plan_view(e), "plan_id": e["id"]},
    ),
    "requirement": (lambda s: s.requirements, _plain, lambda ctx, code, e: _strip(e)),
}

# Fields every entity answers to, besides those of its stored shape.
_COMMON = {"entity", "project", "id", "title", "tags", "status", "created_at", "updated_at"}
_KNOWN_EXTRA = {
    "suite",
    "milestone",
    "environment",
    "environment_id",
    "plan",
    "run",
    "case",
    "hash",
    "result_hash",
    "severity",
    "priority",
    "type",
    "layer",
    "is_flaky",
    "behavior",
    "automation",
    "description",
    "actual_result",
    "preconditions",
    "postconditions",
    "comment",
    "stacktrace",
    "time_spent_ms",
    "start_time",
    "end_time",
    "parent_id",
    "member_id",
    "author_id",
    "milestone_id",
    "suite_id",
    "plan_id",
    "run_id",
    "case_id",
    "cases_count",
    "public",
    "resolved_at",
    "is_api_result",
    "status_text",
}


def search(ctx: Ctx) -> tuple[int, JSON]:
    """GET /search?query=...: the entities a QQL query finds, ``{entities, total}``."""
    query = ctx.q("query")
    if not query or not query.strip():
        raise ApiError(400, "The query field is required.")
    if len(query) > 1000:
        raise ApiError(400, "The query may not be greater than 1000 characters.")
    try:
        node = parse(query)
    except QQLError as exc:
        raise ApiError(400, f"Invalid QQL query: {exc}") from None
    for cond in _conditions(node):
        if cond.field not in _COMMON | _KNOWN_EXTRA:
            raise ApiError(400, f"Invalid QQL query: unknown field {cond.field!r}.")
    limit = _bounded_int(ctx, "limit", 10, 1, 100)
    offset = _bounded_int(ctx, "offset", 0, 0, 100_000)
    coded = _coded(ctx.state)
    found: list[tuple[str, str, JSON]] = []
    for kind, (table, record_of, _) in _KINDS.items():
        for code, entities in table(ctx.state).items():
            if code not in ctx.state.projects:
                continue
            for entity in entities.values():
                record = record_of(ctx, code, entity, coded)
                record.update(entity=kind, project=code)
                if _eval(node, record):
                    found.append((kind, code, entity))
    page = [_KINDS[kind][2](ctx, code, e) for kind, code, e in found[offset : offset + limit]]
    return ok({"entities": page, "total": len(found)})


HANDLERS: dict[str, Handler] = {"search": search}
