"""Read a Qase JSON report: what the official reporters write in ``report`` mode.

The folder holds ``run.json`` (the run's summary), ``results/<id>.json`` (one v2 result
each, in the API's own shape) and ``attachments/``. Rules:

- every field the v2 API takes is kept as written (title, signature, ``testops_id``/
  ``testops_ids``, execution, fields, steps, params, param groups, relations, message);
- ``execution.duration`` is recomputed from start and end when both are there, as the
  official CLI does; the status is kept when the API knows it, else ``invalid``;
- attachments: ``file_path`` as written when it exists inside the report folder, else
  ``attachments/<basename>`` (reporters write paths relative to where they ran); inline
  ``content`` is written to a text file; step attachments are attached to the result;
- ids: the report's own result ``id``, mixed with the namespace.

A result file that is not valid JSON is skipped with a warning; the folder is read on.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final, TypeGuard

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

_STATUSES: Final = frozenset({"passed", "failed", "blocked", "skipped", "invalid"})
_STEP_STATUSES: Final = frozenset({"passed", "failed", "blocked", "skipped", "in_progress"})
_MAX_STEP_DEPTH: Final = 64


def _root(path: Path) -> Path:
    if path.is_file():
        return path.parent.parent if path.parent.name == "results" else path.parent
    return path


def _result_files(path: Path) -> list[Path]:
    if path.is_file() and path.name != "run.json":
        return [path]
    root = _root(path)
    if not root.is_dir():
        raise ReportError(f"{path}: cannot read the report: No such file or directory")
    return sorted((root / "results").glob("*.json"))


def count(path: Path) -> int:
    """The number of result files in the report.

    Raises:
        ReportError: The folder is missing.
    """
    return len(_result_files(path))


def _str(value: object) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _dicts(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _obj(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _num(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 1e14:
        return float(value)
    return None


def _str_map(value: object) -> dict[str, str] | None:
    if not isinstance(value, dict):
        return None
    return {str(k): _str(v) for k, v in value.items() if v is not None} or None


class _Files:
    def __init__(self, root: Path, file: Path, ctx: ReadContext, title: str) -> None:
        self.root, self.file, self.ctx, self.title = root, file, ctx, title
        self.paths: list[str] = []

    def add(self, attachment: dict[str, Any]) -> None:
        raw = _str(attachment.get("file_path"))
        name = _str(attachment.get("file_name")) or "attachment"
        if raw:
            beside = self.root / "attachments" / Path(raw).name
            chosen = f"attachments/{Path(raw).name}" if beside.is_file() else raw
            real = self.ctx.attachment(chosen, base=self.root, report=self.file, test=self.title)
            if real is not None:
                self.paths.append(real)
            return
        content = attachment.get("content")
        if isinstance(content, str) and content:
            text = content
            if _str(attachment.get("mime_type")) not in ("text/plain", "application/json"):
                try:
                    text = base64.b64decode(content, validate=True).decode("utf-8", "replace")
                except (binascii.Error, ValueError):
                    text = content
            self.paths.append(self.ctx.text_file(Path(name).name or "attachment.txt", text))


def _step(data: dict[str, Any], files: _Files, depth: int) -> ResultStep:
    inner = _obj(data.get("data"))
    execution = _obj(data.get("execution"))
    for attachment in _dicts(execution.get("attachments")):
        files.add(attachment)
    status = _str(execution.get("status"))
    start, end = _num(execution.get("start_time")), _num(execution.get("end_time"))
    children = _dicts(data.get("steps"))
    return ResultStep(
        data=ResultStepData(
            action=_str(inner.get("action")) or "(step)",
            expected_result=_str(inner.get("expected_result")) or None,
            input_data=_str(inner.get("input_data")) or None,
        ),
        execution=ResultStepExecution(
            status=status if status in _STEP_STATUSES else "blocked",  # type: ignore[arg-type]
            start_time=start,
            end_time=end,
            duration=round((end - start) * 1000) if start and end and end >= start else None,
            comment=_str(execution.get("comment")) or None,
        ),
        steps=[_step(c, files, depth + 1) for c in children]
        if children and depth < _MAX_STEP_DEPTH
        else None,
    )


def read(path: Path, ctx: ReadContext) -> Iterator[UploadItem]:
    """Stream the results of a Qase report folder.

    Raises:
        ReportError: The folder is missing.
    """
    root = _root(path)
    for file in _result_files(path):
        try:
            data = load_json(file)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError, RecursionError) as error:
            ctx.log.warn(file, None, f"not read: {error}")
            continue
        yield _item(file, root, data, ctx)


def _item(file: Path, root: Path, data: dict[str, Any], ctx: ReadContext) -> UploadItem:
    title, full = cut_title(_str(data.get("title")) or file.stem)
    files = _Files(root, file, ctx, title)
    execution = _obj(data.get("execution"))
    status = _str(execution.get("status")).lower()
    if status not in _STATUSES:
        if status:
            ctx.log.warn(
                file, title, f"status {status[:40]!r} is not a Qase status; sent as invalid"
            )
        status = "invalid"
    start, end = _num(execution.get("start_time")), _num(execution.get("end_time"))
    duration = _num(execution.get("duration"))
    if start and end and end >= start:
        duration = (end - start) * 1000
    for attachment in _dicts(data.get("attachments")):
        files.add(attachment)
    steps = [_step(s, files, 1) for s in _dicts(data.get("steps"))]
    message = "\n\n".join(
        x for x in (f"Full title: {full}" if full else "", _str(data.get("message"))) if x
    )
    message, spilled = ctx.capped("message", message, MAX_MESSAGE, report=file, test=title)
    trace_text = _str(execution.get("stacktrace"))
    trace, spilled_trace = ctx.capped(
        "stacktrace", trace_text, MAX_STACKTRACE, report=file, test=title
    )
    relations = _obj(data.get("relations"))
    suite = _obj(relations.get("suite"))
    levels = suite_path([_str(s.get("title")) for s in _dicts(suite.get("data"))])
    raw_ids = data.get("testops_ids")
    ids = [i for i in raw_ids if _is_int(i)] if isinstance(raw_ids, list) else []
    single = data.get("testops_id")
    if _is_int(single) and single not in ids:
        ids.insert(0, single)
    groups = data.get("param_groups")
    param_groups = (
        [[_str(x) for x in g] for g in groups if isinstance(g, list)]
        if isinstance(groups, list)
        else []
    )
    ctx.log.statuses[status] += 1
    return UploadItem(
        result=ResultCreateV2(
            id=stable_id(ctx.namespace, "qase", _str(data.get("id")) or file.name),
            title=title,
            signature=_str(data.get("signature")) or None,
            execution=ResultExecution(
                status=status,
                start_time=start,
                end_time=end,
                duration=round(duration) if duration is not None else None,
                stacktrace=trace or None,
                thread=_str(execution.get("thread")) or None,
            ),
            message=message or None,
            relations=ResultRelations(
                suite=RelationSuite(data=[RelationSuiteItem(title=p) for p in levels])
            )
            if levels
            else None,
            testops_id=ids[0] if len(ids) == 1 else None,
            testops_ids=ids if len(ids) > 1 else None,
            fields=_str_map(data.get("fields")),
            steps=steps or None,
            params=_str_map(data.get("params")),
            param_groups=param_groups or None,
        ),
        attachments=tuple(
            dict.fromkeys([*files.paths, *(p for p in (spilled, spilled_trace) if p)])
        ),
    )
