"""Bulk upload of v2 results that loses nothing.

:class:`Uploader` streams any number of results into a run: v2 bulk requests of at most
200 results, as many in flight as the rate budget allows, attachments uploaded first and
once per job, a batch the service refuses for one bad result split until only the bad one
is left, and on a fatal error, an :meth:`Uploader.interrupt` or a cancellation every
result not confirmed written to a spool file that :meth:`Uploader.resume` sends later.
Every result carries an idempotency id, so any retry and any resume is exactly-once on the
service. Files go through ``client.attachments.upload``, the one attachment-upload path.

Spool files are JSON lines (a header naming project, run and base URL, then one result per
line), mode 0600, replaced atomically (a temporary file beside them, synced, renamed).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import re
import secrets
import stat
import tempfile
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Callable,
    Iterable,
    Iterator,
    Mapping,
)
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import attrs

from . import exceptions as exc
from ._converter import structure, unstructure
from ._resources.attachments import request_groups
from ._resources.results import MAX_RESULTS_PER_BULK, with_id
from .exceptions import UploadError
from .models import ResultCreateV2, RunCreate

if TYPE_CHECKING:
    from ._client import QaseClient

__all__ = [
    "MAX_ATTACHMENT_BYTES",
    "DamagedLine",
    "FailedAttachment",
    "FailedResult",
    "UploadError",
    "UploadItem",
    "UploadProgress",
    "UploadReport",
    "Uploader",
    "upload_run",
]

logger: Final = logging.getLogger("qase_async")

MB: Final = 1024 * 1024
MAX_ATTACHMENT_BYTES: Final = 32 * MB
"""The service refuses bigger files; the uploader refuses them before sending."""
MAX_ERROR_CONTEXT: Final = 4_194_304
"""Characters of ``execution.error_context`` the service takes in one bulk request."""
DEFAULT_CONCURRENCY: Final = 8
SPOOL_VERSION: Final = 1
_RESULTS_FIELD: Final = re.compile(r"^results\.(\d+)(?:\.|$)")
_MAX_SUSPECTS: Final = 8


def _paths(values: Iterable[str | os.PathLike[str]] | str | os.PathLike[str]) -> tuple[str, ...]:
    if isinstance(values, str | os.PathLike):
        return (os.fspath(values),)
    return tuple(os.fspath(v) for v in values)


@attrs.frozen(kw_only=True)
class UploadItem:
    """A result and the files to attach to it.

    Attributes:
        result: The result. Its ``id`` is kept when set, else a random UUID is given.
        attachments: Paths of files to upload and attach (each file is uploaded once per
            job however many results name it).
    """

    result: ResultCreateV2
    attachments: tuple[str, ...] = attrs.field(default=(), converter=_paths)


ResultSource = Iterable[ResultCreateV2 | UploadItem] | AsyncIterable[ResultCreateV2 | UploadItem]
"""What :meth:`Uploader.upload` takes: any iterable or async iterable of results."""


@attrs.frozen(kw_only=True)
class FailedResult:
    """A result the service refused.

    Attributes:
        id: The result's idempotency id.
        title: The result's title.
        reason: The service's answer (status, message, field errors).
        status_code: The HTTP status of that answer.
    """

    id: str
    title: str
    reason: str
    status_code: int | None = None


@attrs.frozen(kw_only=True)
class FailedAttachment:
    """A file that was not attached; its result was still sent without it.

    Attributes:
        path: The file as it was named.
        result_id: The id of the result it belonged to.
        reason: Why it was not uploaded (missing, over 32 MB, refused by the service).
    """

    path: str
    result_id: str
    reason: str


@attrs.frozen(kw_only=True)
class UploadProgress:
    """Counts so far, as given to ``on_progress``."""

    sent: int
    failed: int
    requests: int
    rate_limit_wait: float
    attachments_uploaded: int


@attrs.frozen(kw_only=True)
class UploadReport:
    """What an upload did.

    Attributes:
        run_id: The run the results went to.
        sent: Results the service accepted.
        failed: Results the service refused, each with its reason.
        failed_attachments: Files not attached (their results were sent without them).
        requests: HTTP requests made, retries included.
        rate_limit_wait: Seconds during which requests were held back by the rate
            limiter (wall time, not a sum over concurrent requests).
        attachments_uploaded: Files uploaded.
        duration: Seconds the job took.
        spooled: Results written to the spool file after a fatal error.
        spool_path: That spool file, or ``None``.
        run_completed: Whether the run was completed (by :func:`upload_run`).
        damaged: Lines of a resumed spool file that could not be read.
        damaged_path: The spool file those lines were kept in, or ``None``.
        interrupted: Whether :meth:`Uploader.interrupt` (or a cancellation) stopped it.
    """

    run_id: int
    sent: int = 0
    failed: tuple[FailedResult, ...] = ()
    failed_attachments: tuple[FailedAttachment, ...] = ()
    requests: int = 0
    rate_limit_wait: float = 0.0
    attachments_uploaded: int = 0
    duration: float = 0.0
    spooled: int = 0
    spool_path: str | None = None
    run_completed: bool = False
    damaged: tuple[DamagedLine, ...] = ()
    damaged_path: str | None = None
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        """Everything was sent: no refused result or file, nothing spooled or damaged."""
        return (
            not self.failed
            and not self.failed_attachments
            and self.spool_path is None
            and not self.damaged
        )

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data; ``failed`` is a count, ``failures`` the list."""
        return {
            "run_id": self.run_id,
            "sent": self.sent,
            "failed": len(self.failed),
            "spooled": self.spooled,
            "spool_path": self.spool_path,
            "requests": self.requests,
            "rate_limit_wait": round(self.rate_limit_wait, 3),
            "attachments_uploaded": self.attachments_uploaded,
            "duration": round(self.duration, 3),
            "run_completed": self.run_completed,
            "ok": self.ok,
            "failures": [attrs.asdict(f) for f in self.failed],
            "failed_attachments": [attrs.asdict(f) for f in self.failed_attachments],
            "damaged": [attrs.asdict(d) for d in self.damaged],
            "damaged_path": self.damaged_path,
            "interrupted": self.interrupted,
        }


# -- the pieces of a job -------------------------------------------------------------------


@attrs.define
class _Pending:
    """A result on its way: its id is set; ``paths`` are files not yet attached."""

    result: ResultCreateV2
    paths: tuple[str, ...] = ()

    @property
    def context_chars(self) -> int:
        return len(self.result.execution.error_context or "")


def _pending(raw: object) -> _Pending:
    if isinstance(raw, UploadItem):
        return _Pending(with_id(raw.result), raw.attachments)
    if isinstance(raw, ResultCreateV2):
        return _Pending(with_id(raw))
    raise TypeError(f"expected a ResultCreateV2 or an UploadItem, got {type(raw).__name__}")


async def _aiter(source: Iterable[Any] | AsyncIterable[Any]) -> AsyncGenerator[Any, None]:
    if isinstance(source, AsyncIterable):
        async for item in source:
            yield item
    else:
        for item in source:
            yield item


class _Fatal(Exception):
    def __init__(self, error: BaseException, unsent: list[_Pending]) -> None:
        super().__init__(str(error))
        self.error = error
        self.unsent = unsent


def _reason(error: BaseException) -> str:
    if isinstance(error, exc.APIError):
        text = f"{error.status_code} {error.message}"
        if error.field_errors:
            fields = "; ".join(
                f"{_RESULTS_FIELD.sub('', k) or k}: {', '.join(v)}"
                for k, v in error.field_errors.items()
            )
            text = f"{text} [{fields}]"
        return text
    return str(error) or type(error).__name__


def _split(chunk: list[_Pending], error: exc.APIError) -> list[list[_Pending]]:
    """The parts to retry, last to be sent first (a stack).

    When the service names the bad results (``results.3.execution.status``) they go
    alone and the rest together; otherwise the chunk is halved. A wrong hint costs a
    request or two, never a result.
    """
    suspects = sorted(
        {
            int(m.group(1))
            for key in error.field_errors
            if (m := _RESULTS_FIELD.match(key)) and int(m.group(1)) < len(chunk)
        }
    )
    if suspects and len(suspects) <= _MAX_SUSPECTS and len(suspects) < len(chunk):
        rest = [p for i, p in enumerate(chunk) if i not in set(suspects)]
        return [rest, *[[chunk[i]] for i in reversed(suspects)]]
    half = (len(chunk) + 1) // 2
    return [chunk[half:], chunk[:half]]


@attrs.frozen
class _FileInfo:
    path: str
    name: str
    size: int
    sha256: str


@attrs.frozen
class _Refused:
    reason: str


@attrs.frozen
class _Broken:
    error: BaseException


_Outcome = str | _Refused | _Broken


def _absolute(path: str) -> str:
    return os.path.abspath(path)


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Attachments:
    """Uploads files once per job (keyed by content hash) through ``client.attachments``."""

    def __init__(self, client: QaseClient, code: str) -> None:
        self._client = client
        self._code = code
        self._digests: dict[tuple[str, int, int], str] = {}
        self._uploads: dict[str, asyncio.Future[_Outcome]] = {}
        self._claiming = asyncio.Lock()

    async def _info(self, path: str) -> _FileInfo | _Refused:
        try:
            st = os.stat(path)
        except OSError as error:
            return _Refused(f"cannot read the file: {error.strerror or type(error).__name__}")
        if not stat.S_ISREG(st.st_mode):
            return _Refused("not a regular file")
        if st.st_size > MAX_ATTACHMENT_BYTES:
            return _Refused(
                f"{st.st_size} bytes is over the service's limit of "
                f"{MAX_ATTACHMENT_BYTES // MB} MB per file"
            )
        key = (_absolute(path), st.st_size, st.st_mtime_ns)
        digest = self._digests.get(key)
        if digest is None:
            try:
                digest = await asyncio.to_thread(_sha256, path)
            except OSError as error:
                return _Refused(f"cannot read the file: {error.strerror or type(error).__name__}")
            self._digests[key] = digest
        return _FileInfo(path, os.path.basename(path) or "file", st.st_size, digest)

    async def resolve(self, batch: list[_Pending], job: _Job) -> None:
        """Attach every file of the batch (uploading those not yet uploaded).

        Raises:
            _Fatal: An upload failed for a reason that stops the job.
        """
        if not any(p.paths for p in batch):
            return
        infos: dict[str, _FileInfo | _Refused] = {}
        mine: list[_FileInfo] = []
        # One batch at a time claims its new files, so a file named by several batches in
        # flight is uploaded by the first, in as few requests as its batch allows.
        async with self._claiming:
            for pending in batch:
                for path in pending.paths:
                    if path not in infos:
                        infos[path] = await self._info(path)
            for info in infos.values():
                if isinstance(info, _FileInfo) and info.sha256 not in self._uploads:
                    self._uploads[info.sha256] = asyncio.get_running_loop().create_future()
                    mine.append(info)
        if mine:
            await self._upload(mine, job)
        for pending in batch:
            hashes: list[str] = []
            for path in pending.paths:
                info = infos[path]
                outcome: _Outcome = (
                    await asyncio.shield(self._uploads[info.sha256])
                    if isinstance(info, _FileInfo)
                    else info
                )
                if isinstance(outcome, _Broken):
                    raise _Fatal(outcome.error, batch)
                if isinstance(outcome, _Refused):
                    job.failed_attachments.append(
                        FailedAttachment(
                            path=path, result_id=pending.result.id or "", reason=outcome.reason
                        )
                    )
                else:
                    hashes.append(outcome)
            if hashes:
                existing = list(pending.result.attachments or [])
                pending.result = attrs.evolve(
                    pending.result, attachments=list(dict.fromkeys([*existing, *hashes]))
                )
            pending.paths = ()

    async def _upload(self, files: list[_FileInfo], job: _Job) -> None:
        groups = [
            [files[i] for i in group] for group in request_groups([(f.name, f.size) for f in files])
        ]
        for i, group in enumerate(groups):
            try:
                await self._post(group, job)
            except BaseException as error:
                # Nobody may wait forever on a file this job will not upload.
                for info in [f for g in groups[i:] for f in g]:
                    future = self._uploads.pop(info.sha256, None)
                    if future is not None and not future.done():
                        future.set_result(_Broken(error))
                raise

    async def _post(self, group: list[_FileInfo], job: _Job) -> None:
        try:
            hashes = await self._send(group)
        except (
            exc.BadRequestError,
            exc.UnprocessableEntityError,
            exc.PayloadTooLargeError,
            exc.AttachmentTooLargeError,
            exc.AttachmentReadError,
        ) as error:
            if len(group) > 1:
                for info in group:
                    await self._post([info], job)
                return
            if isinstance(error, exc.APIError):
                reason = f"refused by the service: {_reason(error)}"
            else:
                # The file changed or went away between hashing and sending.
                reason = str(error)
            self._uploads[group[0].sha256].set_result(_Refused(reason))
            return
        for info, value in zip(group, hashes, strict=True):
            self._uploads[info.sha256].set_result(value)
        job.attachments_uploaded += len(group)
        job.progress()

    async def _send(self, group: list[_FileInfo]) -> list[str]:
        uploaded = await self._client.attachments.upload(self._code, *[info.path for info in group])
        hashes = [a.hash or "" for a in uploaded]
        if len(hashes) != len(group) or not all(hashes):
            raise exc.DecodeError(
                f"expected {len(group)} attachment hashes, got {len(hashes)}",
                path="result",
                model="list[UploadedAttachment]",
            )
        return hashes


# -- spool files -----------------------------------------------------------------------------

SPOOL_MODE: Final = 0o600
"""Spool files hold test output: only their owner may read them."""


@attrs.frozen(kw_only=True)
class DamagedLine:
    """A spool line that could not be read; it is kept in a spool file of its own.

    Attributes:
        line: Its line number in the spool file (1 is the header).
        reason: Why it could not be read.
    """

    line: int
    reason: str


class _Spool:
    """Writes a spool file atomically: a temporary file (mode 0600) beside the target,
    synced, then renamed over it. Until :meth:`commit` the target is untouched."""

    def __init__(self, path: Path, header: Mapping[str, Any]) -> None:
        self.path = path
        self.count = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        self._temp = Path(temp)
        os.fchmod(fd, SPOOL_MODE)
        self._file = os.fdopen(fd, "wb")
        self._line({"qase_async_spool": SPOOL_VERSION, **header})

    def _line(self, data: Any) -> None:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        self._file.write(text.encode("utf-8") + b"\n")

    def write(self, pending: _Pending) -> None:
        self._line({"result": unstructure(pending.result), "attachments": list(pending.paths)})
        self.count += 1

    def write_raw(self, line: bytes) -> None:
        self._file.write(line.rstrip(b"\r\n") + b"\n")
        self.count += 1

    def commit(self) -> None:
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
        finally:
            self._file.close()
        os.replace(self._temp, self.path)
        _sync_dir(self.path.parent)

    def discard(self) -> None:
        self._file.close()
        self._temp.unlink(missing_ok=True)


def _sync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - a platform without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _new_spool_path(directory: Path, code: str, run_id: int) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    safe_code = re.sub(r"[^A-Za-z0-9]", "_", code)
    return directory / f"qase-spool-{safe_code}-{run_id}-{stamp}-{secrets.token_hex(3)}.jsonl"


def _damaged_path(path: Path) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    stem = path.name[: -len(".jsonl")] if path.name.endswith(".jsonl") else path.name
    return path.with_name(f"{stem}.damaged-{stamp}-{secrets.token_hex(3)}.jsonl")


@attrs.frozen(kw_only=True)
class SpoolHeader:
    """What the first line of a spool file says.

    Attributes:
        project: The project code.
        run_id: The run its results belong to.
        base_url: The service it was written for (``None`` in files of older versions).
        state: ``"stopped"`` (it lists every result not confirmed sent) or ``"open"``
            (an upload was still running when it was written: run its command again).
        extra: Any other fields.
    """

    project: str
    run_id: int
    base_url: str | None = None
    state: str = "stopped"
    extra: Mapping[str, Any] = attrs.field(factory=dict)


def read_spool_header(path: str | os.PathLike[str]) -> SpoolHeader:
    """Read and check the header of a spool file.

    Raises:
        ConfigurationError: The file cannot be read or is not a qase-async spool file;
            the message is one line naming the file.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            first = handle.readline(1 << 16)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise exc.ConfigurationError(f"{path}: cannot read the spool file: {reason}") from None
    try:
        header = json.loads(first.decode("utf-8")) if first.strip() else None
    except (UnicodeDecodeError, ValueError):
        raise exc.ConfigurationError(
            f"{path}, line 1: not a qase-async spool file (the header is not JSON)"
        ) from None
    if not isinstance(header, dict) or header.get("qase_async_spool") != SPOOL_VERSION:
        raise exc.ConfigurationError(f"{path}, line 1: not a qase-async spool file")
    project, run_id = header.get("project"), header.get("run_id")
    base_url, state = header.get("base_url"), header.get("state", "stopped")
    if not isinstance(project, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", project):
        raise exc.ConfigurationError(f"{path}, line 1: the header has no valid project code")
    if isinstance(run_id, bool) or not isinstance(run_id, int) or run_id < 1:
        raise exc.ConfigurationError(f"{path}, line 1: the header has no valid run id")
    if base_url is not None and not isinstance(base_url, str):
        raise exc.ConfigurationError(f"{path}, line 1: the header's base_url is not text")
    if state not in ("stopped", "open"):
        raise exc.ConfigurationError(f"{path}, line 1: unknown spool state {state!r}")
    known = {"qase_async_spool", "project", "run_id", "base_url", "state"}
    return SpoolHeader(
        project=project,
        run_id=run_id,
        base_url=base_url,
        state=state,
        extra={k: v for k, v in header.items() if k not in known},
    )


def mark_spool_open(
    path: str | os.PathLike[str], *, project: str, run_id: int, base_url: str
) -> None:
    """Write a spool file that only names the run of an upload under way (state ``open``).

    Whoever finds it knows the run an interrupted or killed upload was sending into; the
    upload replaces it with a full spool when it stops, and the caller removes it when the
    upload is done.
    """
    header = {
        "project": project,
        "run_id": int(run_id),
        "base_url": base_url,
        "state": "open",
        "created": dt.datetime.now(dt.UTC).isoformat(),
    }
    spool = _Spool(Path(path), header)
    spool.commit()


def _spool_items(path: Path, damaged: list[tuple[DamagedLine, bytes]]) -> Iterator[UploadItem]:
    """The results of a spool file; a line that cannot be read goes to ``damaged``."""
    with path.open("rb") as handle:
        handle.readline()
        for number, raw in enumerate(handle, start=2):
            if not raw.strip():
                continue
            try:
                data = json.loads(raw.decode("utf-8"))
                result: ResultCreateV2 = structure(data["result"], ResultCreateV2)
                files = data.get("attachments") or []
                if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
                    raise TypeError("attachments is not a list of paths")
            except (ValueError, KeyError, TypeError, exc.DecodeError) as error:
                reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
                logger.warning("%s, line %d: damaged, kept aside (%.200s)", path, number, reason)
                damaged.append((DamagedLine(line=number, reason=reason[:300]), raw))
                continue
            yield UploadItem(result=result, attachments=tuple(files))


# -- the job ---------------------------------------------------------------------------------


class _Interrupted(Exception):
    """The job was asked to stop (a signal, a cancellation)."""


class _Job:
    """The state of one :meth:`Uploader.upload` or :meth:`Uploader.resume` call."""

    def __init__(self, uploader: Uploader, spool_path: Path | None) -> None:
        self.up = uploader
        self.meter = uploader._client.stats
        self._requests0 = self.meter.requests
        self._waited0 = self.meter.rate_limit_wait
        self.started = time.monotonic()
        self.spool_path = spool_path
        self.sent = 0
        self.failed: list[FailedResult] = []
        self.refused: list[_Pending] = []
        self.failed_attachments: list[FailedAttachment] = []
        self.attachments_uploaded = 0
        self.fatal: BaseException | None = None
        self.unsent: list[_Pending] = []
        self.source_done = False
        self.damaged: list[tuple[DamagedLine, bytes]] = []
        self.damaged_path: Path | None = None
        self._tasks: dict[asyncio.Task[None], list[list[_Pending]]] = {}

    def progress(self) -> None:
        callback = self.up._on_progress
        if callback is not None:
            callback(
                UploadProgress(
                    sent=self.sent,
                    failed=len(self.failed),
                    requests=self.meter.requests - self._requests0,
                    rate_limit_wait=self.meter.rate_limit_wait - self._waited0,
                    attachments_uploaded=self.attachments_uploaded,
                )
            )

    def report(self, spool: _Spool | None = None) -> UploadReport:
        return UploadReport(
            run_id=self.up.run_id,
            sent=self.sent,
            failed=tuple(self.failed),
            failed_attachments=tuple(self.failed_attachments),
            requests=self.meter.requests - self._requests0,
            rate_limit_wait=self.meter.rate_limit_wait - self._waited0,
            attachments_uploaded=self.attachments_uploaded,
            duration=time.monotonic() - self.started,
            spooled=spool.count if spool else 0,
            spool_path=str(spool.path) if spool else None,
            damaged=tuple(line for line, _ in self.damaged),
            damaged_path=str(self.damaged_path) if self.damaged_path else None,
            interrupted=isinstance(self.fatal, _Interrupted),
        )

    def stop(self, error: BaseException, unsent: list[_Pending]) -> None:
        if self.fatal is None:
            self.fatal = error
            # The caller hears of it through UploadError; this is for the debug log.
            logger.info("upload stopping: %s", _reason(error))
        self.unsent.extend(unsent)

    def interrupt(self, reason: str) -> None:
        """Stop at once: requests in flight are abandoned (their results are spooled)."""
        self.stop(_Interrupted(reason), [])
        for task in self._tasks:
            task.cancel()

    async def run(self, source: AsyncIterator[Any]) -> UploadReport:
        semaphore = asyncio.Semaphore(self.up._concurrency)
        batch: list[_Pending] = []
        chars = 0
        try:
            while self.fatal is None:
                try:
                    raw = await anext(source)
                except StopAsyncIteration:
                    self.source_done = True
                    break
                except Exception as error:
                    self.stop(error, [])
                    break
                try:
                    pending = _pending(raw)
                except TypeError as error:
                    self.stop(error, [])
                    break
                if batch and chars + pending.context_chars > MAX_ERROR_CONTEXT:
                    await self._submit(batch, semaphore)
                    batch, chars = [], 0
                batch.append(pending)
                chars += pending.context_chars
                if len(batch) >= self.up.batch_size:
                    await self._submit(batch, semaphore)
                    batch, chars = [], 0
            if batch:
                await self._submit(batch, semaphore)
                batch = []
            while self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
        except asyncio.CancelledError:
            # The caller cancelled the upload: nothing may be lost on the way out.
            self.unsent.extend(batch)
            self.interrupt("cancelled")
            await self._drain()
            try:
                await self._finish(source)
            except UploadError as stopped:
                logger.warning("upload cancelled; %s", stopped)
            raise
        finally:
            await self._drain()
        return await self._finish(source)

    async def _drain(self) -> None:
        for task in self._tasks:
            task.cancel()
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _submit(self, batch: list[_Pending], semaphore: asyncio.Semaphore) -> None:
        if self.fatal is None:
            # Waiting for a free slot here is what bounds memory: reading stops meanwhile.
            await semaphore.acquire()
            if self.fatal is not None:
                semaphore.release()
        if self.fatal is not None:
            self.unsent.extend(batch)
            return
        work = [batch]
        task = asyncio.create_task(self._batch(work))
        self._tasks[task] = work
        task.add_done_callback(lambda done: self._done(done, semaphore))

    def _done(self, task: asyncio.Task[None], semaphore: asyncio.Semaphore) -> None:
        work = self._tasks.pop(task, [])
        # A task cancelled before it ran never sent its batch: it is unsent as it is.
        self.unsent.extend(p for chunk in work for p in chunk)
        work.clear()
        semaphore.release()

    async def _batch(self, work: list[list[_Pending]]) -> None:
        """Send one batch; ``work`` always holds the part of it not yet confirmed."""
        try:
            await self.up._attachments.resolve(work[0], self)
            await self._deliver(work)
        except _Fatal as fatal:
            self.stop(fatal.error, [p for chunk in work for p in chunk])
            work.clear()
        except asyncio.CancelledError:
            # Abandoned by an interrupt: what was not confirmed goes to the spool (as the
            # done callback puts it there).
            pass
        except Exception as error:
            # Unexpected, but the batch is still not lost: ids make resending it safe.
            self.stop(error, [p for chunk in work for p in chunk])
            work.clear()

    async def _deliver(self, work: list[list[_Pending]]) -> None:
        results = self.up._client.v2.results
        while work:  # a stack: the last chunk is sent next, and popped once confirmed
            chunk = work[-1]
            try:
                await results.create_bulk(self.up.code, self.up.run_id, [p.result for p in chunk])
            except exc.PayloadTooLargeError as error:
                work.pop()
                if len(chunk) == 1:
                    self._fail(chunk[0], error)
                    continue
                self.up.batch_size = max(1, min(self.up.batch_size, len(chunk) // 2))
                logger.warning(
                    "413 for %d results; batches now hold %d", len(chunk), self.up.batch_size
                )
                half = (len(chunk) + 1) // 2
                work += [chunk[half:], chunk[:half]]
            except (exc.BadRequestError, exc.UnprocessableEntityError) as error:
                work.pop()
                if len(chunk) == 1:
                    self._fail(chunk[0], error)
                    continue
                work += _split(chunk, error)
            except Exception as error:
                raise _Fatal(error, []) from error
            else:
                work.pop()
                self.sent += len(chunk)
                self.progress()

    def _fail(self, pending: _Pending, error: exc.APIError) -> None:
        result = pending.result
        reason = _reason(error)
        logger.warning("result %s (%s) refused: %s", result.id, result.title, reason)
        self.failed.append(
            FailedResult(
                id=result.id or "", title=result.title, reason=reason, status_code=error.status_code
            )
        )
        self.refused.append(pending)
        self.progress()

    def _keep_damaged(self, origin: Path) -> None:
        """Write the damaged lines of a resumed spool to a spool file of their own."""
        if not self.damaged or self.damaged_path is not None:
            return
        spool = _Spool(_damaged_path(origin), self.up._header(damaged_from=origin.name))
        try:
            for _, raw in self.damaged:
                spool.write_raw(raw)
        except BaseException:
            spool.discard()
            raise
        spool.commit()
        self.damaged_path = spool.path

    async def _finish(self, source: AsyncIterator[Any]) -> UploadReport:
        try:
            return await self._settle(source)
        except OSError as error:
            # Spools are replaced atomically: a spool being resumed is still whole.
            report = self.report()
            stop = f"upload stopped: {_reason(self.fatal)}; " if self.fatal is not None else ""
            where = self.spool_path or self.up._spool_dir
            kept = f"; {self.up._resuming} is unchanged" if self.up._resuming else ""
            raise UploadError(
                f"{stop}{report.sent} results sent to run {self.up.run_id}, but a spool file "
                f"in {where} could not be written ({error.strerror or error}){kept}; upload "
                "again (results keep their ids, so none is stored twice)",
                report=report,
            ) from (self.fatal or error)

    async def _settle(self, source: AsyncIterator[Any]) -> UploadReport:
        origin = self.up._resuming
        if origin is not None:
            self._keep_damaged(origin)
        if self.fatal is None:
            if origin is not None:
                if self.refused:
                    # Refused results exist nowhere else: they stay in the spool.
                    spool = self._open_spool()
                    try:
                        for pending in self.refused:
                            spool.write(pending)
                        spool.commit()
                    except BaseException:
                        spool.discard()
                        raise
                    _replaced(origin, spool.path)
                    return self.report(spool)
                _remove(origin)
            return self.report()
        return await self._spool(source)

    def _open_spool(self) -> _Spool:
        path = self.spool_path or _new_spool_path(self.up._spool_dir, self.up.code, self.up.run_id)
        return _Spool(path, self.up._header())

    async def _spool(self, source: AsyncIterator[Any]) -> UploadReport:
        assert self.fatal is not None
        spool = self._open_spool()
        broken: BaseException | None = None
        try:
            for pending in [*self.refused, *self.unsent] if self.up._resuming else self.unsent:
                spool.write(pending)
            self.unsent.clear()
            if not self.source_done:
                try:
                    async for raw in source:
                        spool.write(_pending(raw))
                        if spool.count % 500 == 0:
                            await asyncio.sleep(0)  # let a second interrupt through
                    self.source_done = True
                except Exception as error:
                    broken = error
            spool.commit()
        except BaseException:
            spool.discard()
            raise
        if self.up._resuming is not None and self.source_done:
            _replaced(self.up._resuming, spool.path)
        report = self.report(spool)
        message = (
            f"upload stopped: {_reason(self.fatal)}; {report.sent} results sent to run "
            f"{self.up.run_id}, {len(report.failed)} refused, {report.spooled} not confirmed "
            f"kept in {spool.path} (resume with: qase-async upload --resume {spool.path})"
        )
        if broken is not None:
            message += f"; reading the input then failed: {_reason(broken)}"
        raise UploadError(message, report=report) from self.fatal


# -- the uploader ---------------------------------------------------------------------------


class Uploader:
    """Streams results into one run of a project, exactly once, losing nothing.

    ::

        async with QaseClient() as qase:
            uploader = Uploader(qase, "DEMO", run_id)
            report = await uploader.upload(results)   # any (async) iterable
            print(report.sent, report.failed)

    Results are read lazily; at most ``concurrency + 1`` batches are held at a time, so
    memory does not depend on how many results there are.

    Args:
        client: The client to send with (its rate limit paces the upload).
        code: The project code.
        run_id: The run to add the results to.
        batch_size: Results per bulk request, 1..200. Lowered for the rest of the
            uploader's life when the service answers 413.
        spool_dir: Where a spool file is written after a fatal error (default: the
            working directory).
        spool_path: Write the spool to exactly this file instead (replacing it
            atomically); :meth:`resume` rewrites the file it resumes unless this is given.
        concurrency: Bulk requests in flight at once; default ``min(8, rate limit)``.
            The limiter still paces every request, so a bigger number cannot cause 429s.
        on_progress: Called with an :class:`UploadProgress` after every request that
            changes the counts.
    """

    def __init__(
        self,
        client: QaseClient,
        code: str,
        run_id: int,
        *,
        batch_size: int = MAX_RESULTS_PER_BULK,
        spool_dir: str | os.PathLike[str] | None = None,
        spool_path: str | os.PathLike[str] | None = None,
        concurrency: int | None = None,
        on_progress: Callable[[UploadProgress], object] | None = None,
    ) -> None:
        if not 1 <= batch_size <= MAX_RESULTS_PER_BULK:
            raise exc.ConfigurationError(
                f"batch_size must be 1..{MAX_RESULTS_PER_BULK}, got {batch_size}"
            )
        if concurrency is not None and concurrency < 1:
            raise exc.ConfigurationError(f"concurrency must be at least 1, got {concurrency}")
        self._client = _bulk(client)
        self.code = code
        self.run_id = int(run_id)
        self.batch_size = batch_size
        self._spool_dir = Path(spool_dir) if spool_dir is not None else Path.cwd()
        self._spool_path = Path(spool_path) if spool_path is not None else None
        limit = getattr(client.limiter, "limit", None)
        default = min(DEFAULT_CONCURRENCY, limit) if isinstance(limit, int) else DEFAULT_CONCURRENCY
        self._concurrency = concurrency or max(1, default)
        self._on_progress = on_progress
        self._attachments = _Attachments(self._client, code)
        self._job: _Job | None = None
        self._resuming: Path | None = None
        self._interrupted: str | None = None

    def __repr__(self) -> str:
        return f"Uploader(code={self.code!r}, run_id={self.run_id})"

    def _header(self, **more: Any) -> dict[str, Any]:
        return {
            **more,
            "project": self.code,
            "run_id": self.run_id,
            "base_url": self._client.base_url,
            "state": "stopped",
            "created": dt.datetime.now(dt.UTC).isoformat(),
        }

    def interrupt(self, reason: str = "interrupted") -> bool:
        """Stop the running upload at once, as after a fatal error.

        Requests in flight are abandoned; every result not confirmed sent (those in
        flight included) is written to the spool file, and the upload raises
        :class:`UploadError` with ``report.interrupted`` set. Safe to call from a signal
        handler run by the event loop.

        Returns:
            Whether an upload was running (if not, the next one stops as it starts).
        """
        if self._job is None:
            # Asked before the upload started: it stops as soon as it starts.
            self._interrupted = reason
            return False
        self._job.interrupt(reason)
        return True

    async def upload(self, results: ResultSource) -> UploadReport:
        """Send every result; returns the report.

        Results the service refuses (400/422, or 413 alone) are reported in
        ``report.failed`` and the rest are sent. Files that cannot be attached are
        reported in ``report.failed_attachments`` and their results sent without them.
        If the upload is cancelled, every result not confirmed sent is written to a spool
        file first (a warning names it).

        Raises:
            UploadError: A fatal error (401, 403, 404, 507, retries spent, the input
                failing) or :meth:`interrupt` stopped the job. Everything not sent,
                including the unread rest of ``results``, is in the spool file the error
                names.
        """
        return await self._run(_aiter(results), None)

    async def _run(
        self,
        source: AsyncGenerator[Any, None],
        resuming: Path | None,
        damaged: list[tuple[DamagedLine, bytes]] | None = None,
    ) -> UploadReport:
        if self._job is not None:
            await source.aclose()
            raise exc.ConfigurationError("this uploader is already running an upload")
        self._resuming = resuming
        job = _Job(self, self._spool_path or resuming)
        if damaged is not None:
            job.damaged = damaged
        self._job = job
        if self._interrupted is not None:
            job.interrupt(self._interrupted)
        try:
            return await job.run(source)
        finally:
            self._job = None
            self._resuming = None
            await source.aclose()

    async def resume(
        self, spool_path: str | os.PathLike[str], *, any_base_url: bool = False
    ) -> UploadReport:
        """Send the results of a spool file written by a stopped upload.

        Ids are kept, so results that did reach the service are not duplicated. A line
        that cannot be read is reported (``report.damaged``, by line number) and kept in
        a spool file of its own (``report.damaged_path``); every other line is sent. The
        file is removed only once everything in it is confirmed sent; after another stop
        it is rewritten (atomically) with what is still unsent, and results the service
        refused stay in it.

        Args:
            spool_path: The spool file.
            any_base_url: Send even when the file was written for another service
                (``base_url`` in its header differs from the client's).

        Raises:
            ConfigurationError: The file is not a spool file of this project and run (or
                of this service), or it belongs to an upload that did not finish.
            UploadError: As for :meth:`upload`.
        """
        path = Path(spool_path)
        header = read_spool_header(path)
        if header.project.upper() != self.code.upper() or header.run_id != self.run_id:
            raise exc.ConfigurationError(
                f"{path} holds results of {header.project} run {header.run_id}, "
                f"not {self.code} run {self.run_id}"
            )
        if header.base_url and header.base_url != self._client.base_url and not any_base_url:
            raise exc.ConfigurationError(
                f"{path} was written for {header.base_url}, not {self._client.base_url}"
            )
        if header.state != "stopped":
            raise exc.ConfigurationError(
                f"{path} belongs to an upload that did not finish; run its command again"
            )
        damaged: list[tuple[DamagedLine, bytes]] = []
        return await self._run(_aiter(_spool_items(path, damaged)), path, damaged)


def _bulk(client: QaseClient) -> QaseClient:
    """The client an upload sends with: a view in the bulk lane, so interactive calls
    sharing the budget go first."""
    return client.with_options(priority="bulk")


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def _replaced(origin: Path, spool: Path) -> None:
    """A resumed spool whose every result now sits in another spool file goes."""
    if os.path.abspath(origin) != os.path.abspath(spool):
        _remove(origin)


async def complete_run(client: QaseClient, code: str, run_id: int) -> None:
    """Complete a run; a retry after a lost answer is harmless (already complete is fine)."""
    try:
        await client.runs.complete(code, run_id)
    except exc.UnprocessableEntityError:
        run = await client.runs.get(code, run_id)
        if run.status != 1:
            raise


async def upload_run(
    client: QaseClient,
    code: str,
    results: ResultSource,
    *,
    run_id: int | None = None,
    title: str | None = None,
    complete: bool = False,
    on_run: Callable[[int], object] | None = None,
    on_uploader: Callable[[Uploader], object] | None = None,
    **options: Any,
) -> UploadReport:
    """Create a run (or use ``run_id``), upload into it, and complete it if all was sent.

    Args:
        client: The client.
        code: The project code.
        results: The results, as for :meth:`Uploader.upload`.
        run_id: An existing run; ``None`` creates one titled ``title``.
        title: The new run's title (default: ``Automated run <UTC time>``).
        complete: Complete the run afterwards, but only if the report is ``ok``;
            otherwise it is left open and a warning says why.
        on_run: Called with the run id before any result is sent (e.g. to record it).
        on_uploader: Called with the :class:`Uploader` before it starts (e.g. to keep it
            for :meth:`Uploader.interrupt`).
        **options: Passed to :class:`Uploader`.

    Returns:
        The report; ``run_id`` names the run and ``run_completed`` says whether it was
        completed.

    Raises:
        UploadError: As for :meth:`Uploader.upload`; the run is left open.
    """
    if run_id is None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        run = RunCreate(title=title or f"Automated run {stamp}", is_autotest=True)
        # A run created while the caller is being cancelled must still be known: the
        # creation is finished first, then the cancellation goes on.
        creating = asyncio.ensure_future(_bulk(client).runs.create(code, run))
        try:
            run_id = await asyncio.shield(creating)
        except asyncio.CancelledError:
            # Each try of the creation is bounded by the client's timeouts.
            while not creating.done():
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait([creating])
            if not creating.cancelled() and creating.exception() is None and on_run:
                on_run(creating.result())
            raise
    if on_run is not None:
        on_run(run_id)
    uploader = Uploader(client, code, run_id, **options)
    if on_uploader is not None:
        on_uploader(uploader)
    report = await uploader.upload(results)
    if not complete:
        return report
    if not report.ok:
        logger.warning(
            "run %d left open: %d results refused, %d files not attached",
            run_id,
            len(report.failed),
            len(report.failed_attachments),
        )
        return report
    await complete_run(_bulk(client), code, run_id)
    return attrs.evolve(report, run_completed=True)
