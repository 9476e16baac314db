"""Pages and auto-paging: concurrency, order, bounded memory, the offset ceiling."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from qase_async import MAX_OFFSET, Page, PaginationLimitError, QaseClient, RateLimit
from qase_async._pagination import paginate


def cases_handler(total: int, *, delay: float = 0.0, stats: dict[str, int] | None = None):  # type: ignore[no-untyped-def]
    stats = stats if stats is not None else {}

    async def handler(request: httpx.Request) -> httpx.Response:
        limit = int(request.url.params.get("limit", 10))
        offset = int(request.url.params.get("offset", 0))
        assert 1 <= limit <= 100, "outside the service's limits"
        assert 0 <= offset <= MAX_OFFSET, "outside the service's limits"
        stats["in_flight"] = stats.get("in_flight", 0) + 1
        stats["peak"] = max(stats.get("peak", 0), stats["in_flight"])
        stats["requests"] = stats.get("requests", 0) + 1
        try:
            await asyncio.sleep(delay)
        finally:  # a cancelled request is no longer running either
            stats["in_flight"] -= 1
        ids = range(offset, min(offset + limit, total))
        return httpx.Response(
            200,
            json={
                "status": True,
                "result": {
                    "total": total,
                    "filtered": total,
                    "count": len(ids),
                    "entities": [{"id": i, "title": f"case {i}"} for i in ids],
                },
            },
        )

    return handler


async def test_list_returns_one_page() -> None:
    """list() is one request and returns the Page with its counts."""
    async with QaseClient("t", transport=httpx.MockTransport(cases_handler(250))) as qase:
        page = await qase.cases.list("DEMO", limit=100, offset=200)
    assert isinstance(page, Page)
    assert (page.total, page.filtered, page.count) == (250, 250, 50)
    assert [c.id for c in page.entities][:2] == [200, 201]


async def test_iter_yields_everything_in_order_concurrently() -> None:
    """iter() fetches following pages concurrently and yields every entity once, in order."""
    stats: dict[str, int] = {}
    handler = cases_handler(1050, delay=0.02, stats=stats)
    async with QaseClient("t", transport=httpx.MockTransport(handler)) as qase:
        ids = [case.id async for case in qase.cases.iter("DEMO")]
    assert ids == list(range(1050))
    assert stats["requests"] == 11  # ceil(1050 / 100), limit=100
    assert stats["peak"] > 1, "pages after the first are fetched concurrently"
    assert stats["peak"] <= 4, "memory stays bounded by a few pages"


async def test_iter_stays_inside_the_rate_budget() -> None:
    """Concurrent paging is still paced by the limiter: no more than the budget."""
    stats: dict[str, int] = {}
    handler = cases_handler(600, stats=stats)
    async with QaseClient(
        "t", transport=httpx.MockTransport(handler), rate_limit=RateLimit(3, per=0.2)
    ) as qase:
        ids = [case.id async for case in qase.cases.iter("DEMO")]
    assert len(ids) == 600
    assert stats["peak"] <= 3


async def test_breaking_out_cancels_prefetched_pages() -> None:
    """Leaving the loop early leaves no request running behind."""
    stats: dict[str, int] = {}
    handler = cases_handler(10_000, delay=0.05, stats=stats)
    async with QaseClient("t", transport=httpx.MockTransport(handler)) as qase:
        pages = qase.cases.iter("DEMO")
        async for case in pages:
            if case.id == 150:
                break
        await pages.aclose()  # type: ignore[attr-defined]
        await asyncio.sleep(0.1)
    assert stats["in_flight"] == 0
    assert stats["requests"] <= 6


async def test_empty_and_single_pages() -> None:
    """No entities, or fewer than a page, take one request."""
    for total in (0, 1, 100):
        stats: dict[str, int] = {}
        transport = httpx.MockTransport(cases_handler(total, stats=stats))
        async with QaseClient("t", transport=transport) as qase:
            assert len([c async for c in qase.cases.iter("DEMO")]) == total
        assert stats["requests"] == 1


async def test_offset_ceiling_is_a_clear_error_after_what_can_be_read() -> None:
    """More than 100,100 matches: everything reachable is yielded, then a clear error."""
    seen = 0

    async def fetch(limit: int, offset: int) -> Page[int]:
        assert offset <= MAX_OFFSET
        return Page(
            total=250_000,
            filtered=250_000,
            count=limit,
            entities=list(range(offset, offset + limit)),
        )

    with pytest.raises(PaginationLimitError, match="narrow the query"):
        async for _ in paginate(fetch, prefetch=8):
            seen += 1
    assert seen == MAX_OFFSET + 100


async def test_paging_without_counts_stops_at_a_short_page() -> None:
    """A list answer without total/filtered is paged until a short page."""
    calls = []

    async def fetch(limit: int, offset: int) -> Page[int]:
        calls.append(offset)
        end = min(offset + limit, 230)
        return Page(entities=list(range(offset, end)))

    got = [x async for x in paginate(fetch)]
    assert got == list(range(230))
    assert calls[:3] == [0, 100, 200]


async def test_an_error_on_a_later_page_propagates() -> None:
    """A failing page raises from the iterator; no error is swallowed."""

    async def fetch(limit: int, offset: int) -> Page[int]:
        if offset == 300:
            raise RuntimeError("page 4 failed")
        return Page(total=1000, filtered=1000, entities=list(range(offset, offset + limit)))

    got: list[int] = []
    with pytest.raises(RuntimeError, match="page 4"):
        async for x in paginate(fetch):
            got.append(x)
    assert got == list(range(300))
