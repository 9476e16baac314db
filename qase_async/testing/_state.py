"""The fake's stored entities, as plain JSON-like dicts a test can read and change."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import attrs

from ._defaults import OWNER_EMAIL, OWNER_NAME, author_for, system_fields

__all__ = ["FakeState", "JSON"]

JSON = dict[str, Any]


def _per_project() -> defaultdict[str, dict[int, JSON]]:
    return defaultdict(dict)


@attrs.define
class FakeState:
    """Everything the fake stores, keyed like the API addresses it.

    Entities are stored in the shape the API reads them back (the spec's read models),
    except where noted, so ``fake.state.runs["DEMO"][1]["title"]`` is what
    ``GET /v1/run/DEMO/1`` returns as ``result.title``. Derived fields (project counts,
    suite ``cases_count``, run ``stats``) are computed when read.

    Attributes:
        projects: ``code -> project``.
        suites: ``code -> id -> suite``.
        cases: ``code -> id -> test case``.
        milestones: ``code -> id -> milestone``.
        plans: ``code -> id -> plan`` (detailed shape, with ``cases``).
        environments: ``code -> id -> environment``.
        configurations: ``code -> group id -> {"id", "title", "configurations": [...]}``.
        runs: ``code -> id -> run`` (``cases`` always present; ``stats`` computed).
        results: ``code -> hash -> result`` in insertion order (v1 and v2 results alike).
        defects: ``code -> id -> defect``.
        shared_steps: ``code -> hash -> shared step``.
        attachments: ``hash -> attachment`` (the ``AttachmentGet`` shape plus ``filename``).
        attachment_data: ``hash -> bytes`` of the uploaded file.
        custom_fields: ``id -> custom field`` (v1 read shape plus ``entity_id``, ``type_id``
            and ``options``).
        idempotency: ``(code, run id) -> {v2 result id: [stored result hashes]}``.
        signatures: ``code -> v2 result signature -> id`` of the case it was matched to.
        users: ``id -> user``; user 1 is the workspace owner, whom the first token seen
            belongs to (see :meth:`user_for_token`; add members with :meth:`add_user`).
        authors: ``id -> author``: one per user, plus one app.
        system_fields: The ``GET /system_field`` list.
        project_access: ``code -> ids of the users granted access``.
        reviews: ``code -> id -> review`` (the detailed read shape).
        shared_parameters: ``uuid -> shared parameter``.
        requirements: ``code -> id -> requirement`` (no operation writes them: add them
            with :meth:`add_requirement`; search finds them).
    """

    projects: dict[str, JSON] = attrs.field(factory=dict)
    suites: defaultdict[str, dict[int, JSON]] = attrs.field(factory=_per_project)
    cases: defaultdict[str, dict[int, JSON]] = attrs.field(factory=_per_project)
    milestones: defaultdict[str, dict[int, JSON]] = attrs.field(factory=_per_project)
    plans: defaultdict[str, dict[int, JSON]] = attrs.field(factory=_per_project)
    environments: defaultdict[str, dict[int, JSON]] = attrs.field(factory=_per_project)
    configurations: defaultdict[str, dict[int, JSON]] = attrs.field(factory=_per_project)
    runs: defaultdict[str, dict[int, JSON]] = attrs.field(factory=_per_project)
    results: defaultdict[str, dict[str, JSON]] = attrs.field(factory=lambda: defaultdict(dict))
    defects: defaultdict[str, dict[int, JSON]] = attrs.field(factory=_per_project)
    shared_steps: defaultdict[str, dict[str, JSON]] = attrs.field(factory=lambda: defaultdict(dict))
    attachments: dict[str, JSON] = attrs.field(factory=dict)
    attachment_data: dict[str, bytes] = attrs.field(factory=dict)
    custom_fields: dict[int, JSON] = attrs.field(factory=dict)
    idempotency: defaultdict[tuple[str, int], dict[str, list[str]]] = attrs.field(
        factory=lambda: defaultdict(dict)
    )
    signatures: defaultdict[str, dict[str, int]] = attrs.field(factory=lambda: defaultdict(dict))
    users: dict[int, JSON] = attrs.field(factory=dict)
    authors: dict[int, JSON] = attrs.field(factory=dict)
    system_fields: list[JSON] = attrs.field(factory=system_fields)
    project_access: defaultdict[str, set[int]] = attrs.field(factory=lambda: defaultdict(set))
    reviews: defaultdict[str, dict[int, JSON]] = attrs.field(factory=_per_project)
    shared_parameters: dict[str, JSON] = attrs.field(factory=dict)
    requirements: defaultdict[str, dict[int, JSON]] = attrs.field(factory=_per_project)
    # sha256 of a token -> the id of the user it belongs to (the token itself is not kept).
    _token_users: dict[str, int] = attrs.field(factory=dict, repr=False, alias="_token_users")
    # (kind, code) -> (lookup key -> id, table size when built): finds auto-created
    # suites and cases by title without a scan per result.
    _title_index: dict[tuple[str, str], tuple[dict[Any, int], int]] = attrs.field(
        factory=dict, repr=False, alias="_title_index"
    )
    _counters: defaultdict[str, int] = attrs.field(
        factory=lambda: defaultdict(int), alias="_counters"
    )

    def __attrs_post_init__(self) -> None:
        if not self.users:
            self.add_user(OWNER_NAME, OWNER_EMAIL, title="Workspace owner")
            aid = self.next_id("author")
            self.authors[aid] = author_for(aid, "app", 1, "CI reporter", "")

    def add_user(self, name: str, email: str, *, title: str = "Member") -> int:
        """Add a member to the workspace (and their author); return the user id."""
        uid = self.next_id("user")
        self.users[uid] = {"id": uid, "name": name, "email": email, "title": title, "status": 1}
        aid = self.next_id("author")
        self.authors[aid] = author_for(aid, "user", uid, name, email)
        return uid

    def user_for_token(self, token: str | None) -> JSON:
        """The user an API token belongs to.

        The first token asked about belongs to the owner (user 1); each other token gets a
        member of its own the first time it is seen.
        """
        key = hashlib.sha256((token or "").encode()).hexdigest()
        uid = self._token_users.get(key)
        if uid is None or uid not in self.users:
            if 1 in self.users and 1 not in self._token_users.values():
                uid = 1
            else:
                n = max(1, len(self._token_users))
                uid = self.add_user(f"API Member {n}", f"api.member{n}@example.com")
            self._token_users[key] = uid
        return self.users[uid]

    def author_of(self, user_id: int) -> JSON | None:
        """The author of a user, if any."""
        for author in self.authors.values():
            if author["entity_type"] == "user" and author["entity_id"] == user_id:
                return author
        return None

    def add_requirement(
        self,
        code: str,
        title: str,
        *,
        description: str | None = None,
        status: str = "valid",
        type: str = "feature",
        parent_id: int | None = None,
        member_id: int = 1,
        at: str = "2024-01-01T00:00:00+00:00",
    ) -> int:
        """Add a requirement to a project (the API has no operation that writes them)."""
        rid = self.next_id("requirement", code)
        self.requirements[code][rid] = {
            "id": rid,
            "requirement_id": rid,
            "parent_id": parent_id,
            "member_id": member_id,
            "title": title,
            "description": description,
            "status": status,
            "type": type,
            "created_at": at,
            "updated_at": at,
        }
        return rid

    def next_id(self, kind: str, code: str = "") -> int:
        """The next integer id for an entity kind (per project where ``code`` is given)."""
        key = f"{kind}:{code}"
        self._counters[key] += 1
        return self._counters[key]

    def storage_used(self) -> int:
        """Bytes of attachments stored."""
        return sum(len(v) for v in self.attachment_data.values())

    def drop_project(self, code: str) -> None:
        """Delete a project and everything in it."""
        self.projects.pop(code, None)
        for store in (
            self.suites,
            self.cases,
            self.milestones,
            self.plans,
            self.environments,
            self.configurations,
            self.runs,
            self.results,
            self.defects,
            self.shared_steps,
            self.signatures,
            self.reviews,
            self.requirements,
            self.project_access,
        ):
            store.pop(code, None)
        for key in [k for k in self.idempotency if k[0] == code]:
            del self.idempotency[key]

    def find(
        self, kind: str, code: str, table: dict[int, JSON], key_of: Callable[[JSON], Any], key: Any
    ) -> int | None:
        """The id of the entity of ``table`` whose ``key_of`` is ``key``, or None.

        The index is rebuilt when the table changed size or a hit went stale (an entity
        renamed or deleted), so lookups stay O(1) while results stream in.
        """
        for attempt in range(2):
            entry = self._title_index.get((kind, code))
            if entry is None or entry[1] != len(table) or attempt:
                index: dict[Any, int] = {}
                for entity_id, entity in table.items():
                    index.setdefault(key_of(entity), entity_id)
                entry = (index, len(table))
                self._title_index[(kind, code)] = entry
            eid = entry[0].get(key)
            if eid is None:
                return None
            item = table.get(eid)
            if item is not None and key_of(item) == key:
                return eid
        return None

    def remember(self, kind: str, code: str, table: dict[int, JSON], key: Any, eid: int) -> None:
        """Add a just-created entity to the index of :meth:`find`."""
        entry = self._title_index.get((kind, code))
        if entry is not None and entry[1] == len(table) - 1:
            entry[0].setdefault(key, eid)
            self._title_index[(kind, code)] = (entry[0], len(table))
