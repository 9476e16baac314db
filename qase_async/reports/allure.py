"""Read an Allure results folder (``*-result.json``, ``*-container.json``, attachments).

Rules:

- **status**: ``passed``, ``failed``, ``skipped`` as they are; ``broken`` (the test
  itself broke) -> ``invalid``; ``unknown`` or none -> ``invalid``, as the official CLI
  has it. Steps: ``broken`` -> ``failed``, ``unknown`` or none -> ``blocked``.
- **retries**: results with the same ``historyId`` are attempts of one test; the last one
  (by ``stop``) is sent and the earlier ones are listed in its message.
- **steps**: nested as they are, with status, duration and start; a step's attachments
  are attached to the result and named in the step's comment.
- **fixtures** from containers: ``befores`` run as steps before the test's own steps,
  ``afters`` after them (prefixed ``before:``/``after:``).
- **labels**: ``parentSuite``/``suite``/``subSuite`` -> the suite path (else ``package``
  split on dots); ``thread`` -> ``execution.thread``; every other label but the
  adapters' internal ones (``_fallbackTestCaseId``) -> ``fields`` (repeated labels such
  as ``tag`` joined with ``, ``); ``description`` -> ``fields``.
- **links**: a ``tms`` link ending in a number (``DEMO-7``) -> the linked case, as the
  official CLI reads it; every link is listed in the message.
- **parameters** -> ``params`` (``hidden`` ones left out, ``masked`` ones sent as
  ``******``).
- **ids**: each result's ``uuid``, mixed with the namespace.

A result file that is not valid JSON is skipped with a warning; the folder is read on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import attrs

from .._upload import UploadItem
from ..exceptions import ReportError
from ..models import (
    RelationSuite,
    RelationSuiteItem,
    ResultCreateV2,
    ResultExecution,
    ResultRelations,
    ResultStep,
    ResultStepData,
    ResultStepExecution,
)
from ._base import (
    MAX_MESSAGE,
    MAX_STACKTRACE,
    ReadContext,
    cut_title,
    load_json,
    stable_id,
    suite_path,
)

__all__ = ["count", "read"]

_STATUS: Final = {"passed": "passed", "failed": "failed", "broken": "invalid", "skipped": "skipped"}
_STEP_STATUS: Final = {
    "passed": "passed",
    "failed": "failed",
    "broken": "failed",
    "skipped": "skipped",
}
_SUITE_LABELS: Final = ("parentSuite", "suite", "subSuite")
_NOT_FIELDS: Final = frozenset({*_SUITE_LABELS, "package", "thread", "testClass", "testMethod"})
_TMS_ID: Final = re.compile(r"(\d+)\s*$")
_MAX_STEP_DEPTH: Final = 64


def _folder(path: Path) -> Path:
    return path if path.is_dir() else path.parent


def _result_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise ReportError(f"{path}: cannot read the report: No such file or directory")
    return sorted(path.glob("*-result.json"))


def _load(path: Path, ctx: ReadContext | None) -> dict[str, Any] | None:
    try:
        data = load_json(path)
    except (OSError, ValueError, RecursionError) as error:
        if ctx is not None:
            ctx.log.warn(path, None, f"not read: {error}")
        return None
    if not isinstance(data, dict):
        if ctx is not None:
            ctx.log.warn(path, None, "not read: not a JSON object")
        return None
    return data


def count(path: Path) -> int:
    """The number of results the folder gives (attempts of one test count once).

    Raises:
        ReportError: The folder is missing.
    """
    keys = set()
    for index, file in enumerate(_result_files(path)):
        data = _load(file, None)
        if data is not None:  # the reader skips (and warns about) the others
            keys.add(_history(data, index))
    return len(keys)


def _history(data: dict[str, Any], index: int) -> str:
    key = data.get("historyId") or data.get("uuid")
    return str(key) if key else f"#{index}"


def _str(value: object) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _dicts(value: object) -> list[dict[str, Any]]:
    return [v for v in _list(value) if isinstance(v, dict)]


def _obj(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _ms(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1e14:
        return float(value)
    return None


@attrs.define
class _Result:
    path: Path
    folder: Path
    ctx: ReadContext
    title: str
    files: list[str] = attrs.field(factory=list)

    def attach(self, attachment: dict[str, Any]) -> str | None:
        source = _str(attachment.get("source"))
        if not source:
            return None
        real = self.ctx.attachment(source, base=self.folder, report=self.path, test=self.title)
        if real is not None:
            self.files.append(real)
        return _str(attachment.get("name")) or source

    def step(self, data: dict[str, Any], depth: int, prefix: str = "") -> ResultStep:
        start, stop = _ms(data.get("start")), _ms(data.get("stop"))
        names = [n for a in _dicts(data.get("attachments")) if (n := self.attach(a))]
        details = _obj(data.get("statusDetails"))
        comment = "\n".join(
            x
            for x in (
                _str(details.get("message")).strip()[:MAX_MESSAGE],
                "Attached: " + ", ".join(names) if names else "",
            )
            if x
        )
        children = _dicts(data.get("steps"))
        return ResultStep(
            data=ResultStepData(action=(prefix + _str(data.get("name"))).strip() or "(step)"),
            execution=ResultStepExecution(
                status=_STEP_STATUS.get(_str(data.get("status")), "blocked"),  # type: ignore[arg-type]
                start_time=start / 1000 if start else None,
                end_time=stop / 1000 if stop else None,
                duration=round(stop - start) if start and stop and stop >= start else None,
                comment=comment or None,
            ),
            steps=[self.step(c, depth + 1) for c in children]
            if children and depth < _MAX_STEP_DEPTH
            else None,
        )


def _containers(folder: Path, ctx: ReadContext) -> dict[str, list[dict[str, Any]]]:
    """Containers by the uuid of each result (or container) they hold, outermost first."""
    parents: dict[str, list[dict[str, Any]]] = {}
    for file in sorted(folder.glob("*-container.json")):
        data = _load(file, ctx)
        if data is None:
            continue
        for child in _list(data.get("children")):
            parents.setdefault(_str(child), []).append(data)
    return parents


def _fixtures(
    uuid: str, parents: dict[str, list[dict[str, Any]]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    befores: list[dict[str, Any]] = []
    afters: list[dict[str, Any]] = []
    seen: set[str] = set()
    frontier = [uuid]
    chain: list[dict[str, Any]] = []
    while frontier:
        current = frontier.pop()
        for container in parents.get(current, []):
            key = _str(container.get("uuid")) or str(id(container))
            if key in seen:
                continue
            seen.add(key)
            chain.append(container)
            frontier.append(key)
    for container in reversed(chain):  # outer containers' befores run first
        befores.extend(_dicts(container.get("befores")))
    for container in chain:
        afters.extend(_dicts(container.get("afters")))
    return befores, afters


def read(path: Path, ctx: ReadContext) -> Iterator[UploadItem]:
    """Stream the results of an Allure results folder (or one ``*-result.json`` file).

    Raises:
        ReportError: The folder is missing.
    """
    folder = _folder(path)
    files = _result_files(path)
    parents = _containers(folder, ctx)
    # First pass: which file holds the last attempt of each test.
    latest: dict[str, tuple[float, Path]] = {}
    earlier: dict[str, list[dict[str, Any]]] = {}
    for index, file in enumerate(files):
        data = _load(file, ctx)
        if data is None:
            continue
        key = _history(data, index)
        stop = _ms(data.get("stop")) or 0.0
        if key in latest:
            previous_stop, previous = latest[key]
            older = previous if stop >= previous_stop else file
            loaded = _load(older, None) or {}
            earlier.setdefault(key, []).append(
                {k: loaded.get(k) for k in ("status", "statusDetails", "start", "stop")}
            )
            if stop < previous_stop:
                continue
        latest[key] = (stop, file)
    for key, (_, file) in latest.items():
        data = _load(file, None)
        if data is not None:
            yield _item(file, folder, data, ctx, parents, earlier.get(key, []))


def _item(
    file: Path,
    folder: Path,
    data: dict[str, Any],
    ctx: ReadContext,
    parents: dict[str, list[dict[str, Any]]],
    attempts: list[dict[str, Any]],
) -> UploadItem:
    name = _str(data.get("name")) or _str(data.get("fullName")) or "(unnamed test)"
    title, full = cut_title(name)
    result = _Result(path=file, folder=folder, ctx=ctx, title=title)
    status = _STATUS.get(_str(data.get("status")), "invalid")
    details = _obj(data.get("statusDetails"))
    labels = [(_str(x.get("name")), _str(x.get("value"))) for x in _dicts(data.get("labels"))]
    by_name: dict[str, list[str]] = {}
    for label, value in labels:
        if label and value and value not in by_name.setdefault(label, []):
            by_name[label].append(value)
    levels = [v for s in _SUITE_LABELS for v in by_name.get(s, [])[:1]]
    if not levels and by_name.get("package"):
        levels = [p for p in by_name["package"][0].split(".") if p]
    fields = {
        k: ", ".join(v)
        for k, v in by_name.items()
        if k not in _NOT_FIELDS and not k.startswith("_")  # "_fallbackTestCaseId": internal
    }
    description = _str(data.get("description")) or _str(data.get("descriptionHtml"))
    if description:
        fields["description"] = description
    params: dict[str, str] = {}
    for param in _dicts(data.get("parameters")):
        mode = _str(param.get("mode"))
        if mode == "hidden" or not _str(param.get("name")):
            continue
        params[_str(param.get("name"))] = "******" if mode == "masked" else _str(param.get("value"))
    case_id: int | None = None
    link_lines: list[str] = []
    for link in _dicts(data.get("links")):
        kind, label, url = _str(link.get("type")), _str(link.get("name")), _str(link.get("url"))
        if kind == "tms" and case_id is None:
            match = _TMS_ID.search(label or url)
            case_id = int(match.group(1)) if match else None
        link_lines.append(f"{kind or 'link'}: {label} {url}".strip())
    befores, afters = _fixtures(_str(data.get("uuid")), parents)
    steps = [result.step(f, 1, "before: ") for f in befores]
    steps += [result.step(s, 1) for s in _dicts(data.get("steps"))]
    steps += [result.step(f, 1, "after: ") for f in afters]
    for attachment in _dicts(data.get("attachments")):
        result.attach(attachment)
    message_parts = [f"Full title: {full}"] if full else []
    if _str(details.get("message")).strip():
        message_parts.append(_str(details.get("message")).strip())
    if attempts:
        lines = [
            f"Attempt {n} {_str(a.get('status')) or 'unknown'}: "
            + _str(_obj(a.get("statusDetails")).get("message")).strip()
            for n, a in enumerate(attempts, 1)
        ]
        message_parts.append("Earlier attempts:\n" + "\n".join(lines))
    if link_lines:
        message_parts.append("Links:\n" + "\n".join(link_lines))
    message, spilled = ctx.capped(
        "message", "\n\n".join(message_parts), MAX_MESSAGE, report=file, test=title
    )
    trace_text = _str(details.get("trace")).strip()
    trace, spilled_trace = (
        ctx.capped("stacktrace", trace_text, MAX_STACKTRACE, report=file, test=title)
        if trace_text
        else ("", None)
    )
    start, stop = _ms(data.get("start")), _ms(data.get("stop"))
    levels = suite_path(levels)
    thread = by_name.get("thread", [None])[0]
    ident = stable_id(ctx.namespace, "allure", _str(data.get("uuid")) or file.name)
    ctx.log.statuses[status] += 1
    files = [*result.files, *(p for p in (spilled, spilled_trace) if p)]
    return UploadItem(
        result=ResultCreateV2(
            id=ident,
            title=title,
            signature="::".join([*levels, _str(data.get("fullName")) or name]),
            execution=ResultExecution(
                status=status,
                start_time=start / 1000 if start else None,
                end_time=stop / 1000 if stop else None,
                duration=round(stop - start) if start and stop and stop >= start else None,
                stacktrace=trace or None,
                thread=thread,
            ),
            message=message or None,
            relations=ResultRelations(
                suite=RelationSuite(data=[RelationSuiteItem(title=p) for p in levels])
            )
            if levels
            else None,
            testops_id=case_id,
            fields=fields or None,
            steps=steps or None,
            params=params or None,
        ),
        attachments=tuple(dict.fromkeys(files)),
    )
