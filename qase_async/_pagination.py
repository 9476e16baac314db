"""``Page[T]`` and auto-paging that fetches the following pages concurrently."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Final, Generic, TypeVar

import attrs

from .exceptions import PaginationLimitError

T = TypeVar("T")

PAGE_SIZE: Final = 100
"""The service's largest ``limit``."""
MAX_OFFSET: Final = 100_000
"""The service's largest ``offset``: offset paging reaches at most 100,100 entities."""
DEFAULT_PREFETCH: Final = 4
"""Pages in flight at once while iterating: enough to hide latency, few enough for memory."""


@attrs.frozen(kw_only=True)
class Page(Generic[T]):
    """One page of a list operation.

    Attributes:
        total: Entities that exist.
        filtered: Entities that match the filters.
        count: Entities on this page.
        entities: The page's entities.
    """

    total: int | None = None
    filtered: int | None = None
    count: int | None = None
    entities: list[T] = attrs.field(factory=list)


async def paginate(
    fetch: Callable[[int, int], Awaitable[Page[T]]],
    *,
    page_size: int = PAGE_SIZE,
    prefetch: int = DEFAULT_PREFETCH,
) -> AsyncGenerator[T, None]:
    """Yield every entity, in order, with up to ``prefetch`` pages fetched at once.

    ``fetch(limit, offset)`` returns one page. The first page says how many entities
    match; the rest are requested concurrently (the client's rate limiter paces them).
    Raises :class:`PaginationLimitError` after the last reachable entity when more match
    than offset paging can reach.
    """
    if not 1 <= page_size <= PAGE_SIZE:
        raise ValueError(f"page_size must be between 1 and {PAGE_SIZE}")
    prefetch = max(1, prefetch)
    first = await fetch(page_size, 0)
    for entity in first.entities:
        yield entity
    matching = first.filtered if first.filtered is not None else first.total
    if matching is None:
        # No counts given: page on until a short page.
        if len(first.entities) < page_size:
            return
        matching = -1
    if 0 <= matching <= page_size or len(first.entities) == 0:
        return
    reachable_end = MAX_OFFSET + page_size
    offsets = iter(
        range(page_size, reachable_end if matching < 0 else min(matching, reachable_end), page_size)
    )
    pending: deque[asyncio.Task[Page[T]]] = deque()
    try:
        for offset in offsets:
            pending.append(asyncio.ensure_future(fetch(page_size, offset)))
            if len(pending) >= prefetch:
                break
        while pending:
            page = await pending.popleft()
            for entity in page.entities:
                yield entity
            if len(page.entities) < page_size and matching < 0:
                return
            if not page.entities:
                # The set shrank while we paged; nothing further to read.
                return
            next_offset = next(offsets, None)
            if next_offset is not None:
                pending.append(asyncio.ensure_future(fetch(page_size, next_offset)))
    finally:
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
    if matching < 0 or matching > reachable_end:
        raise PaginationLimitError(
            f"{'more than ' + str(reachable_end) if matching < 0 else matching} entities match, "
            f"but offset paging stops at offset {MAX_OFFSET}; narrow the query with filters"
        )
