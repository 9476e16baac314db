"""Round trips of the fake's entity families: what is written reads back, everywhere.

Every answer goes through the spec-checking client of ``conftest.api``.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from qase_async import QaseClient
from qase_async.exceptions import NotFoundError, UnprocessableEntityError
from qase_async.models import ReviewCaseData, ReviewCreate, ReviewUpdate
from qase_async.testing import FakeQase
from qase_async.testing._defaults import OWNER_EMAIL, OWNER_NAME

from ._helpers import checked_client, ok, seed

# -- users, authors, system fields --------------------------------------------------------


async def test_the_tokens_own_user_is_listed_with_a_real_name(fake: FakeQase) -> None:
    """``users.list`` holds the token's owner; another token gets a member of its own."""
    async with QaseClient(token="owner-token", transport=fake.transport()) as client:
        users = (await client.users.list()).entities
        assert [(u.id, u.name, u.email) for u in users] == [(1, OWNER_NAME, OWNER_EMAIL)]
        assert (await client.users.get(1)).name == OWNER_NAME
        with pytest.raises(NotFoundError):
            await client.users.get(99)
    async with QaseClient(token="ci-token", transport=fake.transport()) as client:
        users = (await client.users.list()).entities
    assert len(users) == 2
    assert users[1].name == "API Member 1"
    assert "@" in (users[1].email or "")
    assert "owner-token" not in repr(fake.state)
    assert "ci-token" not in repr(fake.state)


async def test_authors_get_answers_the_id_asked_or_404(fake: FakeQase) -> None:
    """``authors.get(7)`` is author 7 once it exists, 404 before; uuids work too."""
    async with QaseClient(token="t", transport=fake.transport()) as client:
        with pytest.raises(NotFoundError):
            await client.authors.get(7)
        for i in range(5):
            fake.state.add_user(f"Member {i}", f"m{i}@example.com")
        author = await client.authors.get(7)
        assert author.id == 7
        assert author.name == "Member 4"
        assert author.entity_type == "user"
        assert author.uuid is not None
        assert (await client.authors.get(author.uuid)).id == 7
        apps = (await client.authors.list(type="app")).entities
        assert [a.entity_type for a in apps] == ["app"]
        found = (await client.authors.list(search="member 2")).entities
        assert [a.name for a in found] == ["Member 2"]


async def test_system_fields_have_real_titles_and_options(fake: FakeQase) -> None:
    """Severity, priority and the others read with their titles, slugs and codes."""
    async with QaseClient(token="t", transport=fake.transport()) as client:
        fields = await client.system_fields.list()
    by_slug = {f.slug: f for f in fields}
    assert by_slug["severity"].title == "Severity"
    options = {o.slug: o.id for o in by_slug["severity"].options or ()}
    assert options["critical"] == 2
    assert options["trivial"] == 6
    assert {"priority", "type", "layer", "behavior", "automation", "status"} <= set(by_slug)
    assert all(f.title and f.title != "string" for f in fields)


# -- workflow families: create -> get -> list -> update -> delete --------------------------

FAMILIES: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    ("suite", {"title": "Checkout"}, {"title": "Checkout v2"}, "title"),
    ("case", {"title": "Pay"}, {"title": "Pay by card"}, "title"),
    ("milestone", {"title": "R1"}, {"title": "R1.1"}, "title"),
    ("plan", {"title": "Smoke", "cases": []}, {"title": "Smoke+"}, "title"),
    ("environment", {"title": "QA", "slug": "qa"}, {"host": "qa.example"}, "host"),
    ("defect", {"title": "Bug", "actual_result": "x", "severity": 2}, {"title": "Bug!"}, "title"),
    ("run", {"title": "Nightly"}, {"title": "Nightly 2"}, "title"),
]


@pytest.mark.parametrize(("family", "create", "change", "field"), FAMILIES)
async def test_project_entities_round_trip(
    api: httpx.AsyncClient, family: str, create: dict[str, Any], change: dict[str, Any], field: str
) -> None:
    """A created entity reads back, is listed, takes an update, and is gone once deleted."""
    await ok(api.post("/v1/project", json={"title": "P", "code": "RT"}))
    if family == "plan":
        case = await ok(api.post("/v1/case/RT", json={"title": "c"}))
        create = {**create, "cases": [case["id"]]}
    eid = (await ok(api.post(f"/v1/{family}/RT", json=create)))["id"]
    got = await ok(api.get(f"/v1/{family}/RT/{eid}"))
    assert got["title"] == create["title"]
    listed = await ok(api.get(f"/v1/{family}/RT"))
    assert [e["id"] for e in listed["entities"]] == [eid]
    await ok(api.patch(f"/v1/{family}/RT/{eid}", json=change))
    assert (await ok(api.get(f"/v1/{family}/RT/{eid}")))[field] == change[field]
    await ok(api.delete(f"/v1/{family}/RT/{eid}"))
    assert (await api.get(f"/v1/{family}/RT/{eid}")).status_code == 404
    assert (await ok(api.get(f"/v1/{family}/RT")))["entities"] == []


async def test_environment_slugs_stay_unique(api: httpx.AsyncClient) -> None:
    """Neither a create nor an update may take a slug another environment has."""
    await ok(api.post("/v1/project", json={"title": "P", "code": "EN"}))
    await ok(api.post("/v1/environment/EN", json={"title": "QA", "slug": "qa"}))
    prod = await ok(api.post("/v1/environment/EN", json={"title": "Prod", "slug": "prod"}))
    same = await api.post("/v1/environment/EN", json={"title": "QA2", "slug": "qa"})
    assert same.status_code == 422
    clash = await api.patch(f"/v1/environment/EN/{prod['id']}", json={"slug": "qa"})
    assert clash.status_code == 422
    await ok(api.patch(f"/v1/environment/EN/{prod['id']}", json={"slug": "prod"}))
    assert (await ok(api.get(f"/v1/environment/EN/{prod['id']}")))["slug"] == "prod"


async def test_configurations_and_custom_fields_round_trip(api: httpx.AsyncClient) -> None:
    """Configuration groups list their configurations; custom fields keep their options."""
    await ok(api.post("/v1/project", json={"title": "P", "code": "RT"}))
    group = (await ok(api.post("/v1/configuration/RT/group", json={"title": "OS"})))["id"]
    linux = await ok(api.post("/v1/configuration/RT", json={"title": "Linux", "group_id": group}))
    groups = (await ok(api.get("/v1/configuration/RT")))["entities"]
    assert groups == [
        {"id": group, "title": "OS", "configurations": [{"id": linux["id"], "title": "Linux"}]}
    ]
    body = {"title": "Browser", "entity": 0, "type": 3, "value": [{"id": 1, "title": "Chrome"}]}
    fid = (await ok(api.post("/v1/custom_field", json=body)))["id"]
    v2 = await ok(api.get(f"/v2/custom_field/{fid}"))
    assert [o["title"] for o in v2["value"]] == ["Chrome"]
    await ok(api.patch(f"/v1/custom_field/{fid}", json={"title": "Web browser"}))
    assert (await ok(api.get(f"/v1/custom_field/{fid}")))["title"] == "Web browser"
    await ok(api.delete(f"/v1/custom_field/{fid}"))
    assert (await api.get(f"/v1/custom_field/{fid}")).status_code == 404


# -- reviews --------------------------------------------------------------------------------


async def test_reviews_round_trip_through_the_client(fake: FakeQase) -> None:
    """Each create gets a new id; get, list, update and delete reflect the state."""
    async with QaseClient(token="t", transport=fake.transport()) as client:
        async with checked_client(fake.transport()) as api:
            ids = await seed(api, "REV")
        first = await client.reviews.create(
            "REV", ReviewCreate(proposed_case=ReviewCaseData(title="Refund", severity=2))
        )
        second = await client.reviews.create(
            "REV", ReviewCreate(case_id=ids["case"], proposed_case=ReviewCaseData(priority=1))
        )
        assert len({ids["review"], first, second}) == 3
        got = await client.reviews.get("REV", second)
        assert (got.type, got.status, got.case_id, got.title) == (
            "edit",
            "open",
            ids["case"],
            "Login works",
        )
        assert got.proposed_case is not None
        assert got.proposed_case.priority == 1
        # The seed used another token (the owner's); this client's token is a member's.
        owner = fake.state.author_of(1)
        author = fake.state.author_of(fake.state.user_for_token("t")["id"])
        assert owner is not None
        assert author is not None
        assert author != owner
        assert got.author_uuid == author["uuid"]
        new = (await client.reviews.list("REV", type="create")).entities
        assert [r.id for r in new] == [first]
        await client.reviews.update(
            "REV",
            first,
            ReviewUpdate(
                reviewers=[owner["uuid"]], proposed_case=ReviewCaseData(title="Refund twice")
            ),
        )
        got = await client.reviews.get("REV", first)
        assert got.title == "Refund twice"
        assert got.proposed_case is not None
        assert got.proposed_case.severity == 2
        assert [r.author_uuid for r in got.reviewers or ()] == [owner["uuid"]]
        await client.reviews.delete("REV", first)
        with pytest.raises(NotFoundError):
            await client.reviews.get("REV", first)
        fake.state.reviews["REV"][second]["status"] = "merged"
        with pytest.raises(UnprocessableEntityError):
            await client.reviews.delete("REV", second)


async def test_review_checks_and_bulk_outcomes(api: httpx.AsyncClient) -> None:
    """Bad reviewers or a new-case review without title are 422; bulk reports per item."""
    await seed(api, "REV")
    bad = await api.post(
        "/v1/review/REV", json={"proposed_case": {"title": "x"}, "reviewers": ["not-an-author"]}
    )
    assert bad.status_code == 422
    assert (await api.post("/v1/review/REV", json={"proposed_case": {}})).status_code == 422
    result = await ok(
        api.post(
            "/v1/review/REV/bulk",
            json={
                "reviews": [
                    {"proposed_case": {"title": "a"}},
                    {"case_id": 999, "proposed_case": {}},
                ]
            },
        )
    )
    first, second = result["items"]
    assert first["error"] is None
    assert first["review_id"] is not None
    assert (second["review_id"], second["case_id"]) == (None, 999)
    assert "case" in second["error"]
    listed = await ok(api.get("/v1/review/REV"))
    assert listed["total"] == 2


# -- shared parameters, project access, case external issues -------------------------------


async def test_shared_parameters_round_trip(api: httpx.AsyncClient) -> None:
    """Create, get, list (with filters), update and delete a shared parameter."""
    await ok(api.post("/v1/project", json={"title": "P", "code": "SP"}))
    body = {
        "title": "Browsers",
        "type": "single",
        "is_enabled_for_all_projects": False,
        "project_codes": ["SP"],
        "parameters": [{"title": "browser", "values": ["chrome", "firefox"]}],
    }
    pid = (await ok(api.post("/v1/shared_parameter", json=body)))["id"]
    got = await ok(api.get(f"/v1/shared_parameter/{pid}"))
    assert got["parameters"] == body["parameters"]
    assert got["project_codes"] == ["SP"]
    found = await ok(api.get("/v1/shared_parameter", params={"filters[search]": "brow"}))
    assert [p["id"] for p in found["entities"]] == [pid]
    none = await ok(api.get("/v1/shared_parameter", params={"filters[type]": "group"}))
    assert none == {"total": 0, "entities": []}
    await ok(api.patch(f"/v1/shared_parameter/{pid}", json={"title": "Web browsers"}))
    assert (await ok(api.get(f"/v1/shared_parameter/{pid}")))["title"] == "Web browsers"
    await ok(api.delete(f"/v1/shared_parameter/{pid}"))
    assert (await api.get(f"/v1/shared_parameter/{pid}")).status_code == 404
    two = {**body, "parameters": body["parameters"] * 2}
    assert (await api.post("/v1/shared_parameter", json=two)).status_code == 422


async def test_project_access_is_granted_and_revoked(
    api: httpx.AsyncClient, fake: FakeQase
) -> None:
    """Access is kept per project; revoking what was not granted, or a stranger, is 422."""
    await ok(api.post("/v1/project", json={"title": "P", "code": "AC"}))
    member = fake.state.add_user("Sam", "sam@example.com")
    await ok(api.post("/v1/project/AC/access", json={"member_id": member}))
    assert fake.state.project_access["AC"] == {member}
    assert (await api.post("/v1/project/AC/access", json={"member_id": 99})).status_code == 422
    await ok(api.request("DELETE", "/v1/project/AC/access", json={"member_id": member}))
    assert fake.state.project_access["AC"] == set()
    again = await api.request("DELETE", "/v1/project/AC/access", json={"member_id": member})
    assert again.status_code == 422


async def test_case_external_issues_attach_and_detach(api: httpx.AsyncClient) -> None:
    """Attached issues read back on the case; detached ones are gone."""
    ids = await seed(api, "EI")
    link = {"case_id": ids["case"], "external_issues": ["PAY-1", "https://j.example/browse/PAY-2"]}
    await ok(
        api.post("/v1/case/EI/external-issue/attach", json={"type": "jira-cloud", "links": [link]})
    )
    case = await ok(api.get(f"/v1/case/EI/{ids['case']}"))
    assert case["external_issues"] == [
        {
            "type": "jira-cloud",
            "issues": [
                {"id": "PAY-1", "link": ""},
                {"id": "PAY-2", "link": "https://j.example/browse/PAY-2"},
            ],
        }
    ]
    gone = {"case_id": ids["case"], "external_issues": ["PAY-1", "PAY-2"]}
    await ok(
        api.post("/v1/case/EI/external-issue/detach", json={"type": "jira-cloud", "links": [gone]})
    )
    assert (await ok(api.get(f"/v1/case/EI/{ids['case']}")))["external_issues"] == []
    bad = {"case_id": 999, "external_issues": ["PAY-3"]}
    resp = await api.post(
        "/v1/case/EI/external-issue/attach", json={"type": "jira-cloud", "links": [bad]}
    )
    assert resp.status_code == 422


async def test_cases_and_defects_are_authored_by_the_tokens_user(fake: FakeQase) -> None:
    """What a member's token creates carries that member's user and author ids."""
    async with checked_client(fake.transport(), headers={"Token": "owner"}) as owner:
        await ok(owner.post("/v1/project", json={"title": "P", "code": "AU"}))
        mine = (await ok(owner.post("/v1/case/AU", json={"title": "mine"})))["id"]
    async with checked_client(fake.transport(), headers={"Token": "member"}) as member:
        theirs = (await ok(member.post("/v1/case/AU", json={"title": "theirs"})))["id"]
        defect = (
            await ok(
                member.post(
                    "/v1/defect/AU", json={"title": "d", "actual_result": "x", "severity": 1}
                )
            )
        )["id"]
        case = await ok(member.get(f"/v1/case/AU/{theirs}"))
        bug = await ok(member.get(f"/v1/defect/AU/{defect}"))
        users = (await ok(member.get("/v1/user")))["entities"]
    user = fake.state.user_for_token("member")
    author = fake.state.author_of(user["id"])
    assert author is not None
    assert user["id"] != 1
    assert user in users
    assert (case["member_id"], case["author_id"]) == (user["id"], author["id"])
    assert (bug["member_id"], bug["author_id"]) == (user["id"], author["id"])
    assert fake.state.cases["AU"][mine]["member_id"] == 1


async def test_case_parameters_read_back_and_follow_shared_ones(api: httpx.AsyncClient) -> None:
    """Single, group and shared parameters of a case read back in the spec's read shape."""
    await ok(api.post("/v1/project", json={"title": "P", "code": "PA"}))
    shared = {
        "title": "Cards",
        "type": "group",
        "is_enabled_for_all_projects": True,
        "parameters": [
            {"title": "card", "values": ["visa", "amex"]},
            {"title": "currency", "values": ["EUR"]},
        ],
    }
    sid = (await ok(api.post("/v1/shared_parameter", json=shared)))["id"]
    group = [{"title": "os", "values": ["linux"]}, {"title": "arch", "values": ["arm"]}]
    body = {
        "title": "Pay",
        "parameters": [
            {"title": "browser", "values": ["chrome", "firefox"]},
            {"items": group},
            {"shared_id": sid},
        ],
    }
    cid = (await ok(api.post("/v1/case/PA", json=body)))["id"]
    case = await ok(api.get(f"/v1/case/PA/{cid}"))
    assert case["parameters"] == [
        {
            "type": "single",
            "shared_id": None,
            "item": {"title": "browser", "values": ["chrome", "firefox"]},
        },
        {"type": "group", "shared_id": None, "items": group},
        {"type": "group", "shared_id": sid, "items": shared["parameters"]},
    ]
    await ok(api.patch(f"/v1/case/PA/{cid}", json={"parameters": []}))
    assert (await ok(api.get(f"/v1/case/PA/{cid}")))["parameters"] == []
    unknown = {"title": "x", "parameters": [{"shared_id": "00000000-0000-4000-8000-000000000000"}]}
    assert (await api.post("/v1/case/PA", json=unknown)).status_code == 422
    bulk = {"cases": [{"title": "ok"}, unknown]}
    assert (await api.post("/v1/case/PA/bulk", json=bulk)).status_code == 422
    assert len((await ok(api.get("/v1/case/PA")))["entities"]) == 1


async def test_defects_keep_attachments_and_check_milestones(api: httpx.AsyncClient) -> None:
    """A defect update replaces its attachments; an unknown milestone is a 422."""
    ids = await seed(api, "DF")
    path = f"/v1/defect/DF/{ids['defect']}"
    await ok(api.patch(path, json={"attachments": [ids["attachment"]]}))
    (attachment,) = (await ok(api.get(path)))["attachments"]
    assert attachment["filename"] == "log.txt"
    assert (await api.patch(path, json={"milestone_id": 99})).status_code == 422
    await ok(api.patch(path, json={"milestone_id": ids["milestone"]}))
    assert (await ok(api.get(path)))["milestone_id"] == ids["milestone"]
    bad = {"title": "b", "actual_result": "x", "severity": 1, "milestone_id": 99}
    assert (await api.post("/v1/defect/DF", json=bad)).status_code == 422
