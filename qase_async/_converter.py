"""The one place that knows the wire format: renames, date-times, omitted defaults.

Models stay plain ``@attrs.frozen(kw_only=True)`` classes; everything about how they
look on the wire lives here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, Final, TypeVar, get_origin

import attrs
import cattrs
from cattrs.gen import (
    make_dict_structure_fn,
    make_dict_unstructure_fn,
    make_mapping_structure_fn,
    override,
)
from cattrs.strategies import configure_union_passthrough

from .exceptions import DecodeError
from .models.search import SearchEntity, search_entity_type

T = TypeVar("T")

WIRE_NAMES: Final[Mapping[str, str]] = {
    # The only response fields that are not snake_case (facts, trap 11).
    "is_manual": "isManual",
    "is_to_be_automated": "isToBeAutomated",
}
"""Attribute name -> wire name, for every model that has the attribute."""

SNAKE_CASE_MODELS: Final = frozenset({"ReviewCaseData", "ReviewProposedCase"})
"""Models whose every attribute is its wire name (reviews spell ``is_manual`` as is)."""

EPOCH_FIELDS: Final = frozenset({("MilestoneCreate", "due_date")})
"""(model, attribute) pairs whose date-time is written as Unix seconds (facts, trap 4)."""


def parse_datetime(value: Any) -> dt.datetime:
    """Decode every date-time form the service sends; naive values are taken as UTC.

    Accepts ``2021-12-30T19:23:59+00:00``, ``2021-12-30 19:23:59``,
    ``2021-12-30T19:23:59.000000Z`` and Unix epoch seconds (int or float, as in v2).
    """
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, bool):
        raise TypeError(f"expected a date-time, got {value!r}")
    elif isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value, tz=dt.UTC)
    elif isinstance(value, str):
        text = value.strip()
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            try:
                return dt.datetime.fromtimestamp(float(text), tz=dt.UTC)
            except ValueError:
                raise ValueError(f"not a date-time: {value!r}") from None
    else:
        raise TypeError(f"expected a date-time, got {type(value).__name__}")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def _is_dict(cls: Any) -> bool:
    origin: Any = get_origin(cls)
    return origin is dict


def _epoch(value: dt.datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def _renames(cls: Any) -> dict[str, Any]:
    model = get_origin(cls) or cls
    if model.__name__ in SNAKE_CASE_MODELS:
        return {}
    return {
        f.name: override(rename=WIRE_NAMES[f.name])
        for f in attrs.fields(model)
        if f.name in WIRE_NAMES
    }


def _is_attrs(cls: Any) -> bool:
    return attrs.has(get_origin(cls) or cls)


def make_converter(*, strict: bool = False, detailed: bool = False) -> cattrs.Converter:
    """A converter for qase_async models.

    Args:
        strict: Refuse unknown keys (tests use this to notice unmodelled fields on purpose).
        detailed: Collect the path of a failure (slower; used to explain a failed decode).
    """
    conv = cattrs.Converter(
        forbid_extra_keys=strict, detailed_validation=detailed, omit_if_default=True
    )
    configure_union_passthrough(int | str | float | bool | None, conv)
    conv.register_structure_hook(dt.datetime, lambda v, _: parse_datetime(v))
    conv.register_unstructure_hook(dt.datetime, lambda v: v.isoformat())

    def structure_factory(cls: Any) -> Callable[[Any, Any], Any]:
        fields_fn = make_dict_structure_fn(
            cls,
            conv,
            _cattrs_forbid_extra_keys=strict,
            **_renames(cls),
        )

        def hook(value: Any, _: Any) -> Any:
            # Without this, a string would "decode" into a model with every field unset.
            if value.__class__ is not dict:
                raise TypeError(f"expected an object, got {type(value).__name__}")
            return fields_fn(value, cls)

        return hook

    def unstructure_factory(cls: Any) -> Callable[[Any], Any]:
        overrides = _renames(cls)
        name = (get_origin(cls) or cls).__name__
        for f in attrs.fields(get_origin(cls) or cls):
            if (name, f.name) in EPOCH_FIELDS:
                overrides[f.name] = override(unstruct_hook=_epoch)
        return make_dict_unstructure_fn(
            cls,
            conv,
            _cattrs_omit_if_default=True,
            **overrides,
        )

    def search_entity_hook(value: Any, _: Any) -> Any:
        # No discriminator in the spec (facts, trap 6): pick the model by its keys.
        model = search_entity_type(value) if isinstance(value, Mapping) else None
        if model is None:
            if strict or not isinstance(value, Mapping):
                raise ValueError("not a known search entity")
            return dict(value)
        return conv.structure(value, model)

    conv.register_structure_hook_func(lambda t: t == SearchEntity, search_entity_hook)

    def mapping_factory(cls: Any) -> Callable[[Any, Any], Any]:
        # The service sends an empty map as [] (PHP): decode it as {} (facts, trap 7).
        structure_map = make_mapping_structure_fn(cls, conv)

        def hook(value: Any, _: Any) -> Any:
            if isinstance(value, list) and not value:
                return {}
            return structure_map(value, cls)

        return hook

    conv.register_structure_hook_factory(_is_dict, mapping_factory)
    conv.register_structure_hook_factory(_is_attrs, structure_factory)
    conv.register_unstructure_hook_factory(_is_attrs, unstructure_factory)
    return conv


@cache
def default_converter() -> cattrs.Converter:
    """The tolerant converter the client decodes with."""
    return make_converter()


@cache
def _explaining_converter() -> cattrs.Converter:
    return make_converter(detailed=True)


def _type_name(cl: Any) -> str:
    return getattr(cl, "__name__", None) or repr(cl)


def structure(data: Any, cl: type[T] | Any, *, where: str = "result") -> T:
    """Decode ``data`` into ``cl``; failures raise :class:`DecodeError` naming the field path.

    The fast converter runs first; only a failure pays for a second, detailed pass that
    finds the path.
    """
    try:
        return default_converter().structure(data, cl)  # type: ignore[no-any-return]
    except Exception as first:  # cattrs raises many kinds; none may leak raw
        path, message = where, str(first) or type(first).__name__
        try:
            _explaining_converter().structure(data, cl)
        except Exception as detailed:
            path, message = _failure_path(detailed, where)
        raise DecodeError(message, path=path, model=_type_name(cl)) from first


def _failure_path(error: BaseException, where: str) -> tuple[str, str]:
    """The field path and message of the first failure in a detailed cattrs error."""
    if isinstance(error, cattrs.BaseValidationError):
        for line in cattrs.transform_error(error, path=where):
            message, _, path = line.rpartition(" @ ")
            return path or where, message or line
    return where, str(error) or type(error).__name__


def unstructure(value: Any) -> Any:
    """Encode a request model (unset optionals omitted, wire names applied)."""
    return default_converter().unstructure(value)
