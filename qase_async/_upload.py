"""Bulk upload of v2 results that loses nothing.

:class:`Uploader` streams any number of results into a run: v2 bulk requests of at most
200 results, as many in flight as the rate budget allows, attachments uploaded first and
once per job, a batch the service refuses for one bad result split until only the bad one
is left, and on a fatal error every unsent result written to a spool file that
:meth:`Uploader.resume` sends later. Every result carries an idempotency id, so any retry
and any resume is exactly-once on the service.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
import mimetypes
import os
import re
import secrets
import stat
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Callable,
    Iterable,
    Iterator,
)
from contextlib import ExitStack
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

import attrs

from . import exceptions as exc
from ._converter import structure, unstructure
from ._resources._base import seg
from ._resources.results import MAX_RESULTS_PER_BULK, with_id
from .exceptions import UploadError
from .models import ResultCreateV2, RunCreate

if TYPE_CHECKING:
    from ._client import QaseClient
    from ._http import Transport

__all__ = [
    "MAX_ATTACHMENT_BYTES",
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
MAX_ATTACHMENT_REQUEST_BYTES: Final = 128 * MB
MAX_ATTACHMENTS_PER_REQUEST: Final = 20
_MULTIPART_MARGIN: Final = 1 * MB
"""Room left in a 128 MB attachment request for the multipart headers."""
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

    @property
    def ok(self) -> bool:
        """Everything was sent: no refused result, no refused file, nothing spooled."""
        return not self.failed and not self.failed_attachments and self.spool_path is None

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


def _open_parts(
    group: list[_FileInfo], stack: ExitStack
) -> list[tuple[str, tuple[str, IO[bytes], str]]]:
    """Multipart ``file[]`` parts; httpx streams them from disk (and rewinds on a retry)."""
    parts: list[tuple[str, tuple[str, IO[bytes], str]]] = []
    for info in group:
        handle = stack.enter_context(open(info.path, "rb"))  # noqa: SIM115
        mime = mimetypes.guess_type(info.name)[0] or "application/octet-stream"
        parts.append(("file[]", (info.name, handle, mime)))
    return parts


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Attachments:
    """Uploads files once per job: keyed by content hash, stat-cached to avoid rehashing."""

    def __init__(self, transport: Transport, code: str) -> None:
        self._transport = transport
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
        groups: list[list[_FileInfo]] = []
        size = 0
        for info in files:
            if (
                not groups
                or len(groups[-1]) >= MAX_ATTACHMENTS_PER_REQUEST
                or size + info.size > MAX_ATTACHMENT_REQUEST_BYTES - _MULTIPART_MARGIN
            ):
                groups.append([])
                size = 0
            groups[-1].append(info)
            size += info.size
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
        except (exc.BadRequestError, exc.UnprocessableEntityError, exc.PayloadTooLargeError) as e:
            if len(group) > 1:
                for info in group:
                    await self._post([info], job)
                return
            self._uploads[group[0].sha256].set_result(
                _Refused(f"refused by the service: {_reason(e)}")
            )
            return
        except OSError as error:
            # The file went away between hashing and sending.
            if len(group) > 1:
                for info in group:
                    await self._post([info], job)
                return
            reason = f"cannot read the file: {error.strerror or type(error).__name__}"
            self._uploads[group[0].sha256].set_result(_Refused(reason))
            return
        for info, value in zip(group, hashes, strict=True):
            self._uploads[info.sha256].set_result(value)
        job.attachments_uploaded += len(group)
        job.progress()

    async def _send(self, group: list[_FileInfo]) -> list[str]:
        with ExitStack() as stack:
            parts = _open_parts(group, stack)
            # Retrying an upload whose answer was lost stores at most an unreferenced
            # copy of the file; no result is duplicated, so it is safe to retry.
            answer = await self._transport.request(
                "POST", f"/attachment/{seg(self._code)}", files=parts, idempotent=True
            )
        hashes = [str(a.get("hash") or "") for a in answer] if isinstance(answer, list) else []
        if len(hashes) != len(group) or not all(hashes):
            raise exc.DecodeError(
                f"expected {len(group)} attachment hashes, got {answer!r:.200}",
                path="result",
                model="list[Attachment]",
            )
        return hashes


# -- spool files -----------------------------------------------------------------------------


class _Spool:
    """A JSON-lines file of unsent results: a header line, then one result per line."""

    def __init__(self, directory: Path, code: str, run_id: int) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        safe_code = re.sub(r"[^A-Za-z0-9]", "_", code)
        self.path = (
            directory / f"qase-spool-{safe_code}-{run_id}-{stamp}-{secrets.token_hex(3)}.jsonl"
        )
        self.count = 0
        self._file = self.path.open("x", encoding="utf-8")
        self._line(
            {
                "qase_async_spool": SPOOL_VERSION,
                "project": code,
                "run_id": run_id,
                "created": dt.datetime.now(dt.UTC).isoformat(),
            }
        )

    def _line(self, data: Any) -> None:
        self._file.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")

    def write(self, pending: _Pending) -> None:
        self._line({"result": unstructure(pending.result), "attachments": list(pending.paths)})
        self.count += 1

    def close(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()


def _spool_header(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as handle:
            header = json.loads(handle.readline() or "null")
    except (OSError, ValueError) as error:
        raise exc.ConfigurationError(f"{path}: not a readable spool file ({error})") from None
    if not isinstance(header, dict) or header.get("qase_async_spool") != SPOOL_VERSION:
        raise exc.ConfigurationError(f"{path}: not a qase-async spool file")
    return header


def spool_target(path: str | os.PathLike[str]) -> tuple[str, int]:
    """The project code and run id a spool file belongs to."""
    header = _spool_header(Path(path))
    return str(header["project"]), int(header["run_id"])


def _spool_items(path: Path) -> Iterator[UploadItem]:
    with path.open(encoding="utf-8") as handle:
        handle.readline()
        for number, line in enumerate(handle, start=2):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                result: ResultCreateV2 = structure(data["result"], ResultCreateV2)
                files = [str(p) for p in data.get("attachments") or []]
            except (ValueError, KeyError, TypeError, exc.DecodeError) as error:
                raise exc.ConfigurationError(f"{path}, line {number}: {error}") from None
            yield UploadItem(result=result, attachments=tuple(files))


# -- the job ---------------------------------------------------------------------------------


class _Job:
    """The state of one :meth:`Uploader.upload` call."""

    def __init__(self, uploader: Uploader) -> None:
        self.up = uploader
        self.meter = uploader._transport.stats
        self._requests0 = self.meter.requests
        self._waited0 = self.meter.rate_limit_wait
        self.started = time.monotonic()
        self.sent = 0
        self.failed: list[FailedResult] = []
        self.failed_attachments: list[FailedAttachment] = []
        self.attachments_uploaded = 0
        self.fatal: BaseException | None = None
        self.unsent: list[_Pending] = []
        self.source_done = False
        self._tasks: set[asyncio.Task[None]] = set()

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
        )

    def stop(self, error: BaseException, unsent: list[_Pending]) -> None:
        if self.fatal is None:
            self.fatal = error
            logger.error("upload stopping: %s", _reason(error))
        self.unsent.extend(unsent)

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
            while self._tasks:
                await asyncio.gather(*self._tasks)
        finally:
            for task in self._tasks:
                task.cancel()
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.fatal is None:
            return self.report()
        return await self._spool(source)

    async def _submit(self, batch: list[_Pending], semaphore: asyncio.Semaphore) -> None:
        # Waiting for a free slot here is what bounds memory: reading stops meanwhile.
        await semaphore.acquire()
        if self.fatal is not None:
            semaphore.release()
            self.unsent.extend(batch)
            return
        task = asyncio.create_task(self._batch(batch, semaphore))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _batch(self, batch: list[_Pending], semaphore: asyncio.Semaphore) -> None:
        try:
            await self.up._attachments.resolve(batch, self)
            await self._deliver(batch)
        except _Fatal as fatal:
            self.stop(fatal.error, fatal.unsent)
        except Exception as error:
            # Unexpected, but the batch is still not lost: ids make resending it safe.
            self.stop(error, batch)
        finally:
            semaphore.release()

    async def _deliver(self, batch: list[_Pending]) -> None:
        results = self.up._client.v2.results
        work = [batch]  # a stack: the last chunk is sent next
        while work:
            chunk = work.pop()
            try:
                await results.create_bulk(self.up.code, self.up.run_id, [p.result for p in chunk])
            except exc.PayloadTooLargeError as error:
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
                if len(chunk) == 1:
                    self._fail(chunk[0], error)
                    continue
                work += _split(chunk, error)
            except Exception as error:
                raise _Fatal(error, [p for c in [chunk, *reversed(work)] for p in c]) from error
            else:
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
        self.progress()

    async def _spool(self, source: AsyncIterator[Any]) -> UploadReport:
        assert self.fatal is not None
        try:
            spool = _Spool(self.up._spool_dir, self.up.code, self.up.run_id)
        except OSError as error:
            report = self.report()
            raise UploadError(
                f"upload stopped: {_reason(self.fatal)}; {report.sent} results sent, but the "
                f"unsent ones could not be written to a spool file in {self.up._spool_dir} "
                f"({error.strerror or error}); upload them again (results keep their ids, "
                f"so none is duplicated)",
                report=report,
            ) from self.fatal
        broken: BaseException | None = None
        try:
            for pending in self.unsent:
                spool.write(pending)
            self.unsent.clear()
            if not self.source_done:
                try:
                    async for raw in source:
                        spool.write(_pending(raw))
                    self.source_done = True
                except Exception as error:
                    broken = error
        finally:
            spool.close()
        report = self.report(spool)
        message = (
            f"upload stopped: {_reason(self.fatal)}; {report.sent} results sent, "
            f"{len(report.failed)} refused, {report.spooled} unsent results written to "
            f"{spool.path} (resume with: qase-async upload --resume {spool.path})"
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
        concurrency: int | None = None,
        on_progress: Callable[[UploadProgress], object] | None = None,
    ) -> None:
        if not 1 <= batch_size <= MAX_RESULTS_PER_BULK:
            raise exc.ConfigurationError(
                f"batch_size must be 1..{MAX_RESULTS_PER_BULK}, got {batch_size}"
            )
        if concurrency is not None and concurrency < 1:
            raise exc.ConfigurationError(f"concurrency must be at least 1, got {concurrency}")
        self._client = client
        self._transport: Transport = client._transport
        self.code = code
        self.run_id = int(run_id)
        self.batch_size = batch_size
        self._spool_dir = Path(spool_dir) if spool_dir is not None else Path.cwd()
        limit = getattr(client.limiter, "limit", None)
        default = min(DEFAULT_CONCURRENCY, limit) if isinstance(limit, int) else DEFAULT_CONCURRENCY
        self._concurrency = concurrency or max(1, default)
        self._on_progress = on_progress
        self._attachments = _Attachments(self._transport, code)

    def __repr__(self) -> str:
        return f"Uploader(code={self.code!r}, run_id={self.run_id})"

    async def upload(self, results: ResultSource) -> UploadReport:
        """Send every result; returns the report.

        Results the service refuses (400/422, or 413 alone) are reported in
        ``report.failed`` and the rest are sent. Files that cannot be attached are
        reported in ``report.failed_attachments`` and their results sent without them.

        Raises:
            UploadError: A fatal error (401, 403, 404, 507, retries spent, the input
                failing) stopped the job. Everything not sent, including the unread
                rest of ``results``, is in the spool file the error names.
        """
        source = _aiter(results)
        try:
            return await _Job(self).run(source)
        finally:
            await source.aclose()

    async def resume(self, spool_path: str | os.PathLike[str]) -> UploadReport:
        """Send the results of a spool file written by a stopped upload.

        Ids are kept, so results that did reach the service are not duplicated. The spool
        file is deleted once all its results are sent, refused, or moved to a new spool
        file (named by the :class:`UploadError`).

        Raises:
            ConfigurationError: The file is not a spool file of this project and run.
            UploadError: As for :meth:`upload`.
        """
        path = Path(spool_path)
        code, run_id = spool_target(path)
        if code.upper() != self.code.upper() or run_id != self.run_id:
            raise exc.ConfigurationError(
                f"{path} holds results of {code} run {run_id}, not {self.code} run {self.run_id}"
            )
        job = _Job(self)
        source = _aiter(_spool_items(path))
        try:
            return await job.run(source)
        finally:
            await source.aclose()
            if job.source_done:
                _remove(path)


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)


async def complete_run(client: QaseClient, code: str, run_id: int) -> None:
    """Complete a run; a retry after a lost answer is harmless (already complete is fine)."""
    path = f"/run/{seg(code)}/{int(run_id)}/complete"
    try:
        # Completing twice changes nothing, so retrying a lost answer is safe.
        await client._transport.request("POST", path, idempotent=True)
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
        **options: Passed to :class:`Uploader`.

    Returns:
        The report; ``run_id`` names the run and ``run_completed`` says whether it was
        completed.

    Raises:
        UploadError: As for :meth:`Uploader.upload`; the run is left open.
    """
    if run_id is None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        run_id = await client.runs.create(
            code, RunCreate(title=title or f"Automated run {stamp}", is_autotest=True)
        )
    report = await Uploader(client, code, run_id, **options).upload(results)
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
    await complete_run(client, code, run_id)
    return attrs.evolve(report, run_completed=True)
