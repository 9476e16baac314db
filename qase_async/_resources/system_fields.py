"""``client.system_fields``."""

from __future__ import annotations

from ..models import SystemField
from ._base import Resource


class SystemFields(Resource):
    """System fields: what the integer codes on cases, runs and results mean."""

    async def list(self) -> list[SystemField]:
        """Every system field with its options (one request, not paged)."""
        return await self._get("/system_field", list[SystemField])
