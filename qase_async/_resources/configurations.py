"""``client.configurations``."""

from __future__ import annotations

from .._pagination import Page
from ..models import ConfigurationCreate, ConfigurationGroup, ConfigurationGroupCreate
from ._base import Resource, seg


class Configurations(Resource):
    """Configuration groups of a project.

    The service answers with every group at once (the operation takes no ``limit`` or
    ``offset``), so there is no ``iter``.
    """

    async def list(self, code: str) -> Page[ConfigurationGroup]:
        """Every configuration group of the project, with its configurations."""
        return await self._get(f"/configuration/{seg(code)}", Page[ConfigurationGroup])

    async def create(self, code: str, configuration: ConfigurationCreate) -> int:
        """Add a configuration to a group; returns its id."""
        return await self._create(f"/configuration/{seg(code)}", configuration)

    async def create_group(self, code: str, title: str) -> int:
        """Create a configuration group; returns its id."""
        group = ConfigurationGroupCreate(title=title)
        return await self._create(f"/configuration/{seg(code)}/group", group)
