"""``client.custom_fields`` (v1) and ``client.v2.custom_fields``."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from .._pagination import Page
from ..models import (
    CustomField,
    CustomFieldCreate,
    CustomFieldEntity,
    CustomFieldType,
    CustomFieldUpdate,
    CustomFieldV2,
)
from ._base import Resource, ident, wire_params


class CustomFields(Resource):
    """Custom fields of the workspace (names on read, integer codes on write)."""

    async def list(
        self,
        *,
        entity: CustomFieldEntity | None = None,
        type: CustomFieldType | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Page[CustomField]:
        """One page of custom fields."""
        params = wire_params({"entity": entity, "type": type})
        return await self._page("/custom_field", CustomField, limit=limit, offset=offset,
                                params=params)  # fmt: skip

    def iter(
        self, *, entity: CustomFieldEntity | None = None, type: CustomFieldType | None = None
    ) -> AsyncGenerator[CustomField, None]:
        """Every matching custom field, paging by itself."""
        return self._iter("/custom_field", CustomField,
                          wire_params({"entity": entity, "type": type}))  # fmt: skip

    async def get(self, field_id: int) -> CustomField:
        """One custom field."""
        return await self._get(f"/custom_field/{ident(field_id)}", CustomField)

    async def create(self, field: CustomFieldCreate) -> int:
        """Create a custom field; returns its id."""
        return await self._create("/custom_field", field)

    async def update(self, field_id: int, changes: CustomFieldUpdate) -> None:
        """Change a custom field."""
        await self._call("PATCH", f"/custom_field/{ident(field_id)}", changes)

    async def delete(self, field_id: int) -> None:
        """Delete a custom field."""
        await self._call("DELETE", f"/custom_field/{ident(field_id)}")


class CustomFieldsV2(Resource):
    """Custom fields read through v2 (options typed)."""

    async def list(
        self,
        *,
        entity: CustomFieldEntity | None = None,
        type: CustomFieldType | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Page[CustomFieldV2]:
        """One page of custom fields."""
        params = wire_params({"entity": entity, "type": type})
        return await self._page("/custom_field", CustomFieldV2, limit=limit, offset=offset,
                                params=params, version=2)  # fmt: skip

    def iter(
        self, *, entity: CustomFieldEntity | None = None, type: CustomFieldType | None = None
    ) -> AsyncGenerator[CustomFieldV2, None]:
        """Every matching custom field, paging by itself."""
        params = wire_params({"entity": entity, "type": type})
        return self._iter("/custom_field", CustomFieldV2, params, version=2)

    async def get(self, field_id: int) -> CustomFieldV2:
        """One custom field."""
        return await self._get(f"/custom_field/{ident(field_id)}", CustomFieldV2, version=2)
