"""``client.results`` (v1) and ``client.v2.results``."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncGenerator, Sequence
from typing import Any, Final

import attrs

from .._converter import unstructure
from .._pagination import Page
from ..models import (
    Result,
    ResultCreate,
    ResultCreated,
    ResultCreateV2,
    ResultStatus,
    ResultUpdate,
)
from ._base import Resource, ident, seg, wire_params
from .custom_fields import CustomFieldsV2

MAX_RESULTS_PER_BULK: Final = 200
"""The service refuses bigger bulk requests with 413 (the spec still says 2000)."""


def _filters(
    status: ResultStatus | Sequence[ResultStatus] | None,
    run: Sequence[int] | None,
    case_id: Sequence[int] | None,
    member: Sequence[int] | None,
    api: bool | None,
    from_end_time: dt.datetime | None,
    to_end_time: dt.datetime | None,
) -> dict[str, Any]:
    params = {
        "status": status,
        "run": run,
        "case_id": case_id,
        "member": member,
        "api": api,
        "from_end_time": from_end_time,
        "to_end_time": to_end_time,
    }
    # The spec takes ``Y-m-d H:i:s`` here, unlike the epoch seconds of run filters.
    return wire_params(params, time_format="sql")


def _check_bulk(count: int) -> None:
    if count > MAX_RESULTS_PER_BULK:
        raise ValueError(
            f"{count} results in one bulk request; the service takes at most "
            f"{MAX_RESULTS_PER_BULK} (split them, or use the uploader)"
        )


class Results(Resource):
    """v1 results of a project's runs."""

    async def list(
        self,
        code: str,
        *,
        status: ResultStatus | Sequence[ResultStatus] | None = None,
        run: Sequence[int] | None = None,
        case_id: Sequence[int] | None = None,
        member: Sequence[int] | None = None,
        api: bool | None = None,
        from_end_time: dt.datetime | None = None,
        to_end_time: dt.datetime | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Page[Result]:
        """One page of results."""
        params = _filters(status, run, case_id, member, api, from_end_time, to_end_time)
        return await self._page(
            f"/result/{seg(code)}", Result, limit=limit, offset=offset, params=params
        )

    def iter(
        self,
        code: str,
        *,
        status: ResultStatus | Sequence[ResultStatus] | None = None,
        run: Sequence[int] | None = None,
        case_id: Sequence[int] | None = None,
        member: Sequence[int] | None = None,
        api: bool | None = None,
        from_end_time: dt.datetime | None = None,
        to_end_time: dt.datetime | None = None,
    ) -> AsyncGenerator[Result, None]:
        """Every matching result, paging by itself."""
        params = _filters(status, run, case_id, member, api, from_end_time, to_end_time)
        return self._iter(f"/result/{seg(code)}", Result, params)

    async def get(self, code: str, hash: str) -> Result:
        """One result by its hash."""
        return await self._get(f"/result/{seg(code)}/{seg(hash)}", Result)

    async def create(self, code: str, run_id: int, result: ResultCreate) -> str:
        """Add one result to a run; returns its hash. Not retried once possibly sent."""
        path = f"/result/{seg(code)}/{ident(run_id)}"
        created: ResultCreated = await self._send("POST", path, result, ResultCreated)
        return created.hash or ""

    async def create_bulk(self, code: str, run_id: int, results: Sequence[ResultCreate]) -> None:
        """Add up to 200 results to a run in one request (v1: a retry could duplicate)."""
        _check_bulk(len(results))
        await self._t.request(
            "POST",
            f"/result/{seg(code)}/{ident(run_id)}/bulk",
            json_body={"results": [unstructure(r) for r in results]},
        )

    async def update(self, code: str, run_id: int, hash: str, changes: ResultUpdate) -> None:
        """Change the fields of a result that are set in ``changes``."""
        await self._call("PATCH", f"/result/{seg(code)}/{ident(run_id)}/{seg(hash)}", changes)

    async def delete(self, code: str, run_id: int, hash: str) -> None:
        """Delete a result."""
        await self._call("DELETE", f"/result/{seg(code)}/{ident(run_id)}/{seg(hash)}")


def with_id(result: ResultCreateV2) -> ResultCreateV2:
    """The result with an idempotency id (a new UUID4 if it had none)."""
    return result if result.id else attrs.evolve(result, id=str(uuid.uuid4()))


class ResultsV2(Resource):
    """v2 results: accepted asynchronously (202), idempotent through each result's ``id``.

    Every result is given an id when it has none, so any retry is safe and creates no
    duplicate; the ids sent are returned so you can keep them.
    """

    async def create(self, code: str, run_id: int, result: ResultCreateV2) -> str:
        """Send one result; returns its id."""
        result = with_id(result)
        await self._send(
            "POST",
            f"/{seg(code)}/run/{ident(run_id)}/result",
            result,
            None,
            version=2,
            idempotent=True,
        )
        return result.id or ""

    async def create_bulk(
        self, code: str, run_id: int, results: Sequence[ResultCreateV2]
    ) -> list[str]:
        """Send up to 200 results in one request; returns their ids, in order."""
        _check_bulk(len(results))
        with_ids = [with_id(r) for r in results]
        await self._t.request(
            "POST",
            f"/{seg(code)}/run/{ident(run_id)}/results",
            version=2,
            idempotent=True,
            json_body={"results": [unstructure(r) for r in with_ids]},
        )
        return [r.id or "" for r in with_ids]


class V2:
    """The v2 API: ``client.v2.results`` and ``client.v2.custom_fields``."""

    def __init__(self, results: ResultsV2, custom_fields: CustomFieldsV2) -> None:
        self.results = results
        self.custom_fields = custom_fields

    def __repr__(self) -> str:
        return "<V2>"
