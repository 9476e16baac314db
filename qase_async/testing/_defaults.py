"""What a fresh fake workspace holds before any request: its owner, an app and the system
fields. Plain data with no dependency on the rest of the fake, so the state can use it."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

__all__ = ["OWNER_EMAIL", "OWNER_NAME", "author_for", "entity_uuid", "system_fields"]

OWNER_NAME = "Robin Owner"
OWNER_EMAIL = "robin.owner@example.com"

# (title, slug, entity, default option id, [(option id, title, slug), ...]). Entities:
# 0 test case, 1 test run (and its results); type 3 is a select box, as for custom fields.
_FIELDS: tuple[tuple[str, str, int, int, tuple[tuple[int, str, str], ...]], ...] = (
    (
        "Severity",
        "severity",
        0,
        0,
        (
            (0, "Not set", "undefined"),
            (1, "Blocker", "blocker"),
            (2, "Critical", "critical"),
            (3, "Major", "major"),
            (4, "Normal", "normal"),
            (5, "Minor", "minor"),
            (6, "Trivial", "trivial"),
        ),
    ),
    (
        "Priority",
        "priority",
        0,
        0,
        (
            (0, "Not set", "undefined"),
            (1, "High", "high"),
            (2, "Medium", "medium"),
            (3, "Low", "low"),
        ),
    ),
    (
        "Type",
        "type",
        0,
        1,
        (
            (0, "Other", "other"),
            (1, "Functional", "functional"),
            (2, "Smoke", "smoke"),
            (3, "Regression", "regression"),
            (4, "Security", "security"),
            (5, "Usability", "usability"),
            (6, "Performance", "performance"),
            (7, "Acceptance", "acceptance"),
        ),
    ),
    (
        "Layer",
        "layer",
        0,
        0,
        ((0, "Unknown", "unknown"), (1, "E2E", "e2e"), (2, "API", "api"), (3, "Unit", "unit")),
    ),
    ("Is flaky", "is_flaky", 0, 0, ((0, "No", "no"), (1, "Yes", "yes"))),
    (
        "Behavior",
        "behavior",
        0,
        1,
        (
            (0, "Not set", "undefined"),
            (1, "Positive", "positive"),
            (2, "Negative", "negative"),
            (3, "Destructive", "destructive"),
        ),
    ),
    (
        "Automation status",
        "automation",
        0,
        0,
        (
            (0, "Manual", "is-not-automated"),
            (1, "To be automated", "to-be-automated"),
            (2, "Automated", "automated"),
        ),
    ),
    (
        "Status",
        "status",
        0,
        0,
        ((0, "Actual", "actual"), (1, "Draft", "draft"), (2, "Deprecated", "deprecated")),
    ),
    (
        "Result status",
        "result_status",
        1,
        1,
        (
            (1, "Passed", "passed"),
            (2, "Failed", "failed"),
            (3, "Blocked", "blocked"),
            (5, "Skipped", "skipped"),
            (7, "In progress", "in_progress"),
            (8, "Invalid", "invalid"),
        ),
    ),
)

_COLORS = ("#9e9e9e", "#e53935", "#fb8c00", "#fdd835", "#43a047", "#1e88e5", "#8e24aa", "#00acc1")


def system_fields() -> list[dict[str, Any]]:
    """The system fields of a fresh workspace, in the ``GET /system_field`` shape."""
    out = []
    for title, slug, entity, default, options in _FIELDS:
        out.append(
            {
                "title": title,
                "slug": slug,
                "default_value": str(default),
                "is_required": slug in ("severity", "priority", "type", "status"),
                "entity": entity,
                "type": 3,
                "options": [
                    {
                        "id": oid,
                        "title": otitle,
                        "slug": oslug,
                        "color": _COLORS[i % len(_COLORS)],
                        "icon": oslug,
                        "is_default": oid == default,
                        "read_only": slug == "result_status",
                    }
                    for i, (oid, otitle, oslug) in enumerate(options)
                ],
            }
        )
    return out


def entity_uuid(kind: str, n: int) -> str:
    """A UUID that is the same for the same ``(kind, n)`` in every run."""
    digest = hashlib.sha1(f"{kind}:{n}".encode(), usedforsecurity=False).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def author_for(author_id: int, entity_type: str, entity_id: int, name: str, email: str) -> Any:
    """An author in the ``GET /author`` shape."""
    return {
        "id": author_id,
        "uuid": entity_uuid("author", author_id),
        "author_id": author_id,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "email": email,
        "name": name,
        "is_active": True,
    }
