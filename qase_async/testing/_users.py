"""Users and authors of the fake workspace, and the members with access to a project."""

from __future__ import annotations

from ._api import ApiError, Ctx, Handler, field_error, ok, paginate
from ._state import JSON

__all__ = ["HANDLERS", "current_user"]


def current_user(ctx: Ctx) -> JSON:
    """The user the request's token belongs to."""
    return ctx.state.user_for_token(ctx.headers.get("token"))


def list_users(ctx: Ctx) -> tuple[int, JSON]:
    """GET /user."""
    current_user(ctx)
    return ok(paginate(ctx, [dict(u) for u in ctx.state.users.values()]))


def get_user(ctx: Ctx) -> tuple[int, JSON]:
    """GET /user/{id}."""
    current_user(ctx)
    user = ctx.state.users.get(ctx.int_param("id"))
    if user is None:
        raise ApiError(404, "User not found.")
    return ok(dict(user))


def list_authors(ctx: Ctx) -> tuple[int, JSON]:
    """GET /author (filters: ``search`` on the name, ``type`` app or user)."""
    current_user(ctx)
    authors = list(ctx.state.authors.values())
    kind = ctx.q("type")
    if kind:
        if kind not in ("app", "user"):
            raise field_error("type", "The selected type is invalid.")
        authors = [a for a in authors if a["entity_type"] == kind]
    needle = (ctx.q("search") or "").lower()
    if needle:
        authors = [a for a in authors if needle in a["name"].lower()]
    return ok(paginate(ctx, [dict(a) for a in authors], len(ctx.state.authors)))


def get_author(ctx: Ctx) -> tuple[int, JSON]:
    """GET /author/{id}: by id, or by uuid."""
    current_user(ctx)
    key = ctx.params["id"]
    for author in ctx.state.authors.values():
        if str(author["id"]) == key or author["uuid"] == key.lower():
            return ok(dict(author))
    raise ApiError(404, "Author not found.")


def _member(ctx: Ctx) -> int:
    member = ctx.body.get("member_id") if isinstance(ctx.body, dict) else None
    if member is None:
        raise field_error("member_id", "The member id field is required.")
    if member not in ctx.state.users:
        raise field_error("member_id", "The selected member id is invalid.")
    return int(member)


def grant_access(ctx: Ctx) -> tuple[int, JSON]:
    """POST /project/{code}/access."""
    code = ctx.project()
    ctx.state.project_access[code].add(_member(ctx))
    return ok()


def revoke_access(ctx: Ctx) -> tuple[int, JSON]:
    """DELETE /project/{code}/access (422 if the member had no access)."""
    code = ctx.project()
    member = _member(ctx)
    if member not in ctx.state.project_access[code]:
        raise field_error("member_id", "The member has no access to the project.")
    ctx.state.project_access[code].discard(member)
    return ok()


HANDLERS: dict[str, Handler] = {
    "get-users": list_users,
    "get-user": get_user,
    "get-authors": list_authors,
    "get-author": get_author,
    "grant-access-to-project": grant_access,
    "revoke-access-to-project": revoke_access,
}
