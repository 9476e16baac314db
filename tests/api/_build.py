"""Request models with every field set, built from their type annotations."""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Sequence
from typing import Any, Literal, Union, get_args, get_origin

import attrs

from qase_async.models import CaseParameterCreate, ParameterValues

WHEN = dt.datetime(2024, 5, 17, 12, 30, 15, tzinfo=dt.UTC)

# Models that are a ``oneOf`` on the wire: setting every field would match no branch.
HAND_MADE: dict[type[Any], Any] = {
    CaseParameterCreate: CaseParameterCreate(title="browser", values=["chrome", "firefox"]),
}


def full(tp: Any, depth: int = 0) -> Any:
    """A value of type ``tp`` with every optional field set (nesting stops at depth 3)."""
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        return full(args[0], depth)
    if origin is Literal:
        return get_args(tp)[0]
    if origin in (list, Sequence, typing.Sequence) or tp is list:
        (item,) = get_args(tp) or (str,)
        return [] if depth > 2 else [full(item, depth + 1)]
    if origin is dict:
        _, value = get_args(tp)
        return {"1": full(value, depth + 1)}
    if tp in HAND_MADE:
        return HAND_MADE[tp]
    if attrs.has(tp):
        hints = typing.get_type_hints(tp)
        kwargs = {}
        for field in attrs.fields(tp):
            if field.name == "id" and tp.__name__ == "ResultCreateV2":
                kwargs["id"] = "7d2b4f1e-3f0e-4a5c-9a57-0a1b2c3d4e5f"
            elif depth > 2 and field.default is not attrs.NOTHING:
                continue
            else:
                kwargs[field.name] = full(hints[field.name], depth + 1)
        return tp(**kwargs)
    if tp is bool:
        return True
    if tp is int:
        return 1
    if tp is float:
        return 1700000000.25
    if tp is str:
        return "text"
    if tp is dt.datetime:
        return WHEN
    if tp is Any:
        return "text"
    raise TypeError(f"no sample for {tp!r}")


__all__ = ["HAND_MADE", "WHEN", "ParameterValues", "full"]
