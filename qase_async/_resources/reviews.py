"""``client.reviews``."""

from __future__ import annotations

import builtins
from collections.abc import AsyncGenerator, Sequence
from typing import Any, Final

from .._converter import structure, unstructure
from .._pagination import Page
from ..models import (
    Review,
    ReviewBulkItem,
    ReviewBulkResult,
    ReviewCreate,
    ReviewDetailed,
    ReviewStatus,
    ReviewType,
    ReviewUpdate,
)
from ._base import Resource, ident, seg, wire_params

MAX_REVIEWS_PER_BULK: Final = 100
"""The service takes 1 to 100 reviews per bulk request, all or nothing."""


def _filters(
    status: ReviewStatus | None,
    type: ReviewType | None,
    case_id: int | None,
    author_uuid: str | None,
    reviewer_uuid: str | None,
    search: str | None,
) -> dict[str, Any]:
    return wire_params(
        {
            "status": status,
            "type": type,
            "case_id": case_id,
            "author_uuid": author_uuid,
            "reviewer_uuid": reviewer_uuid,
            "search": search,
        }
    )


class Reviews(Resource):
    """Reviews of proposed case changes."""

    async def list(
        self,
        code: str,
        *,
        status: ReviewStatus | None = None,
        type: ReviewType | None = None,
        case_id: int | None = None,
        author_uuid: str | None = None,
        reviewer_uuid: str | None = None,
        search: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Page[Review]:
        """One page of reviews."""
        params = _filters(status, type, case_id, author_uuid, reviewer_uuid, search)
        return await self._page(
            f"/review/{seg(code)}", Review, limit=limit, offset=offset, params=params
        )

    def iter(
        self,
        code: str,
        *,
        status: ReviewStatus | None = None,
        type: ReviewType | None = None,
        case_id: int | None = None,
        author_uuid: str | None = None,
        reviewer_uuid: str | None = None,
        search: str | None = None,
    ) -> AsyncGenerator[Review, None]:
        """Every matching review, paging by itself."""
        params = _filters(status, type, case_id, author_uuid, reviewer_uuid, search)
        return self._iter(f"/review/{seg(code)}", Review, params)

    async def get(self, code: str, review_id: int) -> ReviewDetailed:
        """One review, with the case it proposes."""
        return await self._get(f"/review/{seg(code)}/{ident(review_id)}", ReviewDetailed)

    async def create(self, code: str, review: ReviewCreate) -> int:
        """Open a review; returns its id."""
        return await self._create(f"/review/{seg(code)}", review)

    async def create_bulk(
        self, code: str, reviews: Sequence[ReviewCreate]
    ) -> builtins.list[ReviewBulkItem]:
        """Open 1 to 100 reviews in one request (all or nothing); returns their outcomes."""
        if not 1 <= len(reviews) <= MAX_REVIEWS_PER_BULK:
            raise ValueError(f"a bulk request takes 1 to {MAX_REVIEWS_PER_BULK} reviews")
        body = {"reviews": [unstructure(r) for r in reviews]}
        result = await self._t.request("POST", f"/review/{seg(code)}/bulk", json_body=body)
        return structure(result, ReviewBulkResult).items

    async def update(self, code: str, review_id: int, changes: ReviewUpdate) -> None:
        """Change a review."""
        await self._call("PATCH", f"/review/{seg(code)}/{ident(review_id)}", changes)

    async def delete(self, code: str, review_id: int) -> None:
        """Delete a review."""
        await self._call("DELETE", f"/review/{seg(code)}/{ident(review_id)}")
