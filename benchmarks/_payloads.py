"""Realistic response bodies, shaped after the v1 spec's TestCase, Run and Result schemas.

Deterministic (seeded) so every run decodes the same bytes. Values mimic a busy workspace:
markdown descriptions, several steps with nested steps, custom fields, tags, attachments,
parameters, nullable fields sometimes null.
"""

from __future__ import annotations

import json
import random
from typing import Any

_WORDS = (
    "login",
    "user",
    "page",
    "button",
    "click",
    "submit",
    "form",
    "valid",
    "invalid",
    "password",
    "email",
    "cart",
    "checkout",
    "order",
    "payment",
    "card",
    "total",
    "discount",
    "search",
    "filter",
    "result",
    "list",
    "item",
    "detail",
    "admin",
    "settings",
    "profile",
    "upload",
    "file",
    "download",
    "report",
    "export",
    "import",
    "api",
    "token",
    "session",
    "timeout",
    "retry",
)


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words)).capitalize()


def _iso(rng: random.Random) -> str:
    return (
        f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T"
        f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}+00:00"
    )


def _legacy(rng: random.Random) -> str:
    return (
        f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T"
        f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}.000000Z"
    )


def _hash(rng: random.Random, n: int = 40) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def _attachment(rng: random.Random) -> dict[str, Any]:
    name = f"{rng.choice(_WORDS)}-{rng.randint(1, 999)}.png"
    return {
        "size": rng.randint(1_000, 2_000_000),
        "mime": "image/png",
        "filename": name,
        "url": f"https://qase-attachments.example/DEMO/{_hash(rng, 32)}/{name}",
    }


def _nested_step(rng: random.Random, depth: int) -> dict[str, Any]:
    step: dict[str, Any] = {
        "hash": _hash(rng),
        "shared_step_hash": None,
        "shared_step_nested_hash": None,
        "position": rng.randint(1, 5),
        "action": _text(rng, 8),
        "expected_result": _text(rng, 6),
        "data": None,
        "attachments": [],
        "steps": [],
    }
    if depth > 0 and rng.random() < 0.5:
        step["steps"] = [_nested_step(rng, depth - 1) for _ in range(rng.randint(1, 2))]
    return step


def _step(rng: random.Random, position: int) -> dict[str, Any]:
    step = _nested_step(rng, 0)
    step["position"] = position
    step["data"] = _text(rng, 5) if rng.random() < 0.4 else None
    step["attachments"] = [_attachment(rng) for _ in range(rng.choice((0, 0, 0, 1, 2)))]
    if rng.random() < 0.3:
        step["steps"] = [_nested_step(rng, 2) for _ in range(rng.randint(1, 3))]
    return step


def _parameter(rng: random.Random) -> dict[str, Any]:
    def single() -> dict[str, Any]:
        return {
            "title": rng.choice(("browser", "locale", "role", "plan")),
            "values": [rng.choice(_WORDS) for _ in range(rng.randint(2, 4))],
        }

    if rng.random() < 0.7:
        return {"shared_id": None, "type": "single", "item": single()}
    return {"shared_id": None, "type": "group", "items": [single() for _ in range(2)]}


def test_case(rng: random.Random, case_id: int) -> dict[str, Any]:
    """One test case as ``GET /case/{code}`` returns it."""
    params: Any = []
    if rng.random() < 0.3:
        params = {"browser": ["chrome", "firefox"], "locale": ["en", "de", "fr"]}
    nullable = rng.random() < 0.3
    return {
        "id": case_id,
        "position": case_id,
        "title": _text(rng, 7),
        "description": None if nullable else _text(rng, 40) + "\n\n* " + _text(rng, 10),
        "preconditions": None if nullable else _text(rng, 15),
        "postconditions": None,
        "severity": rng.randint(0, 6),
        "priority": rng.randint(0, 3),
        "type": rng.randint(1, 8),
        "layer": rng.randint(0, 3),
        "is_flaky": rng.randint(0, 1),
        "behavior": rng.randint(0, 3),
        "automation": rng.randint(0, 2),
        "isManual": rng.random() < 0.5,
        "isToBeAutomated": rng.random() < 0.3,
        "status": rng.randint(0, 2),
        "milestone_id": None if nullable else rng.randint(1, 20),
        "suite_id": rng.randint(1, 60),
        "custom_fields": [
            {"id": i, "value": rng.choice(("1", "2", "yes", _text(rng, 3)))} for i in range(1, 6)
        ],
        "attachments": [_attachment(rng) for _ in range(rng.choice((0, 0, 1, 2, 3)))],
        "steps_type": "classic",
        "steps": [_step(rng, p) for p in range(1, rng.randint(3, 8) + 1)],
        "params": params,
        "parameters": [_parameter(rng) for _ in range(rng.choice((0, 0, 1, 2)))],
        "tags": [
            {"title": rng.choice(_WORDS), "internal_id": rng.randint(1, 500)}
            for _ in range(rng.randint(0, 4))
        ],
        "member_id": rng.randint(1, 30),
        "author_id": rng.randint(1, 30),
        "created_at": _iso(rng),
        "updated_at": _iso(rng),
        "deleted": None,
        "created": _legacy(rng),
        "updated": _legacy(rng),
        "external_issues": [
            {
                "type": "jira-cloud",
                "issues": [
                    {
                        "id": f"DEMO-{rng.randint(1, 999)}",
                        "link": "https://jira.example/browse/DEMO-1",
                    }
                ],
            }
        ]
        if rng.random() < 0.2
        else [],
    }


def run(rng: random.Random, run_id: int) -> dict[str, Any]:
    """One run as ``GET /run/{code}?include=cases`` returns it."""
    total = rng.randint(20, 400)
    passed = rng.randint(0, total)
    failed = total - passed
    finished = rng.random() < 0.8
    return {
        "id": run_id,
        "run_id": run_id,
        "title": f"Nightly regression #{run_id}",
        "description": _text(rng, 12) if rng.random() < 0.5 else None,
        "status": 1 if finished else 0,
        "status_text": "passed" if finished else "active",
        "start_time": _iso(rng),
        "end_time": _iso(rng) if finished else None,
        "public": False,
        "stats": {
            "total": total,
            "statuses": {"passed": passed, "failed": failed, "blocked": 0, "skipped": 0},
            "untested": 0,
            "passed": passed,
            "failed": failed,
            "blocked": 0,
            "skipped": 0,
            "retest": 0,
            "in_progress": 0,
            "invalid": 0,
        },
        "time_spent": rng.randint(1_000, 10_000_000),
        "elapsed_time": rng.randint(1_000, 10_000_000),
        "environment": {
            "title": "Staging",
            "description": "",
            "slug": "staging",
            "host": "staging.example",
        },
        "milestone": {"title": "Release 4.2", "description": ""} if rng.random() < 0.5 else None,
        "custom_fields": [{"id": i, "value": rng.choice(("1", "2", "nightly"))} for i in range(3)],
        "tags": [
            {"title": rng.choice(_WORDS), "internal_id": rng.randint(1, 500)}
            for _ in range(rng.randint(0, 3))
        ],
        "cases": [rng.randint(1, 5000) for _ in range(rng.randint(20, 60))],
        "plan_id": rng.randint(1, 10) if rng.random() < 0.3 else None,
        "configurations": [rng.randint(1, 9) for _ in range(rng.randint(0, 3))],
        "external_issue": {
            "id": "DEMO-7",
            "type": "jira-cloud",
            "link": "https://jira.example/browse/DEMO-7",
        }
        if rng.random() < 0.1
        else None,
    }


def _step_result(rng: random.Random, position: int, depth: int) -> dict[str, Any]:
    start = 1_700_000_000 + rng.randint(0, 10_000_000)
    step: dict[str, Any] = {
        "status": rng.choice((1, 1, 1, 2, 3, 5)),
        "position": position,
        "comment": _text(rng, 6) if rng.random() < 0.3 else "",
        "start_time": start,
        "end_time": start + rng.randint(0, 30),
        "duration_ms": rng.randint(1, 30_000),
        "attachments": [_attachment(rng) for _ in range(rng.choice((0, 0, 0, 1)))],
        "steps": [],
    }
    if depth > 0 and rng.random() < 0.3:
        step["steps"] = [_step_result(rng, p, depth - 1) for p in range(1, rng.randint(1, 3) + 1)]
    return step


def result(rng: random.Random, n: int) -> dict[str, Any]:
    """One result as ``GET /result/{code}`` returns it."""
    failed = rng.random() < 0.25
    trace = "\n".join(
        f'  File "/app/tests/test_{rng.choice(_WORDS)}.py", line {rng.randint(1, 900)}, in test'
        for _ in range(12)
    )
    return {
        "hash": _hash(rng),
        "result_hash": _hash(rng),
        "comment": _text(rng, 10) if rng.random() < 0.4 else None,
        "stacktrace": ("Traceback (most recent call last):\n" + trace) if failed else None,
        "run_id": rng.randint(1, 300),
        "case_id": n + 1,
        "steps": [_step_result(rng, p, 2) for p in range(1, rng.randint(3, 8) + 1)],
        "status": "failed" if failed else "passed",
        "is_api_result": True,
        "time_spent_ms": rng.randint(10, 600_000),
        "end_time": _iso(rng),
        "attachments": [_attachment(rng) for _ in range(rng.choice((0, 0, 1, 2)))],
    }


def page(entities: list[dict[str, Any]], total: int = 4321) -> dict[str, Any]:
    """A list envelope around ``entities``."""
    return {
        "status": True,
        "result": {"total": total, "filtered": total, "count": len(entities), "entities": entities},
    }


def cases_page(n: int = 100, seed: int = 1) -> dict[str, Any]:
    """A page of ``n`` test cases."""
    rng = random.Random(seed)
    return page([test_case(rng, i + 1) for i in range(n)])


def runs_page(n: int = 100, seed: int = 2) -> dict[str, Any]:
    """A page of ``n`` runs (with their case ids)."""
    rng = random.Random(seed)
    return page([run(rng, i + 1) for i in range(n)])


def results_page(n: int = 100, seed: int = 3) -> dict[str, Any]:
    """A page of ``n`` results."""
    rng = random.Random(seed)
    return page([result(rng, i) for i in range(n)])


PROJECT: dict[str, Any] = {
    "status": True,
    "result": {
        "title": "Demo",
        "code": "DEMO",
        "counts": {
            "cases": 4321,
            "suites": 57,
            "milestones": 12,
            "runs": {"total": 812, "active": 3},
            "defects": {"total": 96, "open": 14},
        },
    },
}


def encode(body: dict[str, Any]) -> bytes:
    """The bytes the service would send."""
    return json.dumps(body, separators=(",", ":")).encode()
