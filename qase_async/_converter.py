"""The one place that knows the wire format: renames, date-times, omitted defaults.

Models stay plain ``@attrs.frozen(kw_only=True)`` classes; everything about how they
look on the wire lives here.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Callable, Mapping
from functools import cache
from types import NoneType, UnionType
from typing import Any, Final, TypeVar, Union, get_args, get_origin

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


def _structure_datetime(value: Any, _: Any) -> dt.datetime:
    # The common case (an ISO string) without parse_datetime's checks; the same result.
    if value.__class__ is str:
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return parse_datetime(value)
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)
    return parse_datetime(value)


_SCALARS: Final = (int, str, float, bool)


def _is_optional(cls: Any) -> bool:
    args = get_args(cls)
    return get_origin(cls) in (Union, UnionType) and len(args) == 2 and NoneType in args


def _optional_hook(conv: cattrs.Converter, cls: Any) -> Callable[[Any, Any], Any]:
    # Nearly every response field is ``X | None``; cattrs' own hook looks up the hook of
    # ``X`` again for every value. Resolve it once, and let exact scalars through as is.
    inner = next(arg for arg in get_args(cls) if arg is not NoneType)
    inner_hook = conv.get_structure_hook(inner)
    if inner in _SCALARS:

        def scalar(value: Any, _: Any) -> Any:
            if value is None or value.__class__ is inner:
                return value
            return inner_hook(value, inner)

        return scalar

    def optional(value: Any, _: Any) -> Any:
        return None if value is None else inner_hook(value, inner)

    return optional


def _hook_for(conv: cattrs.Converter, tp: Any) -> Callable[[Any, Any], Any]:
    """The structure hook of ``tp``; for a model still being generated (steps within
    steps) it is looked up when used instead."""
    return conv.structure if tp in _building else conv.get_structure_hook(tp)


def _refuse_non_list(value: Any) -> None:
    # Iterating a string or a map would "decode" its characters or keys.
    if isinstance(value, str | bytes | Mapping):
        raise TypeError(f"expected a list, got {type(value).__name__}")


def _is_scalar_list(cls: Any) -> bool:
    return get_origin(cls) is list and get_args(cls)[:1] in ((int,), (str,), (float,))


def _scalar_list_hook(conv: cattrs.Converter, cls: Any) -> Callable[[Any, Any], Any]:
    # Id lists (run cases, configurations): keep the decoded list when it is already right.
    item = get_args(cls)[0]
    item_hook = conv.get_structure_hook(item)
    only = {item}

    def hook(value: Any, _: Any) -> Any:
        if value.__class__ is list and {*map(type, value)} <= only:
            return value
        _refuse_non_list(value)
        return [item_hook(v, item) for v in value]

    return hook


def _is_model_list(cls: Any) -> bool:
    if get_origin(cls) is not list:
        return False
    args = get_args(cls)
    return len(args) == 1 and _is_attrs(args[0])


def _model_list_hook(conv: cattrs.Converter, cls: Any) -> Callable[[Any, Any], Any]:
    item = get_args(cls)[0]
    item_hook = _hook_for(conv, item)

    def hook(value: Any, _: Any) -> Any:
        if value.__class__ is not list:
            _refuse_non_list(value)
            value = list(value)
        return [item_hook(v, item) for v in value]

    return hook


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


def _substitute(tp: Any, params: Mapping[Any, Any]) -> Any:
    """``tp`` with a generic model's type variables replaced: ``list[T]`` -> ``list[Case]``."""
    if not params:
        return tp
    if isinstance(tp, TypeVar):
        return params.get(tp, tp)
    args = get_args(tp)
    if not args:
        return tp
    new = tuple(_substitute(a, params) for a in args)
    origin = get_origin(tp)
    if origin in (Union, UnionType):
        return functools.reduce(operator.or_, new)
    return origin[new if len(new) > 1 else new[0]]


_building: set[Any] = set()


def _slot_setters(model: Any) -> list[Callable[[Any, Any], None]] | None:
    """The slot setters of a plain frozen model, in field order; None if __init__ is needed.

    A model whose __init__ does nothing but store its arguments (no validators, converters,
    hooks, or defaults other than None or a factory) can be built by setting its slots.
    """
    if any(hasattr(model, hook) for hook in ("__attrs_pre_init__", "__attrs_post_init__")):
        return None
    setters = []
    for field in attrs.fields(model):
        default = field.default
        if field.validator or field.converter or not field.init:
            return None
        if not (
            default is None
            or default is attrs.NOTHING
            or (isinstance(default, attrs.Factory) and not default.takes_self)  # type: ignore[arg-type]
        ):
            return None
        slot = next(
            (c.__dict__[field.name] for c in model.__mro__ if field.name in c.__dict__), None
        )
        if slot is None or type(slot).__name__ != "member_descriptor":
            return None
        setters.append(slot.__set__)
    return setters


def _fast_structure_fn(
    conv: cattrs.Converter, cls: Any, renames: Mapping[str, str]
) -> Callable[[Any, Any], Any]:
    """A structure function for an attrs model, generated as plain Python.

    cattrs' own calls a hook for every field. Nearly every response field is an optional
    scalar that arrives with the right type, so this one only checks the value's class
    inline and calls the hook (the same cattrs hook) for anything else. Semantics are
    cattrs' tolerant ones: missing or null optional fields are None, unknown keys are
    ignored, a value of another scalar type goes through the scalar's hook.
    """
    model = get_origin(cls) or cls
    attrs.resolve_types(model)
    params = dict(zip(getattr(model, "__parameters__", ()), get_args(cls), strict=False))
    ns: dict[str, Any] = {"__cl": model, "TypeError": TypeError}
    lines = [
        "def structure(o, _):",
        "    if o.__class__ is not dict:",
        "        raise TypeError(f'expected an object, got {type(o).__name__}')",
        "    g = o.get",
    ]
    args: list[str] = []
    recursive: list[str] = []
    setters = _slot_setters(model)
    _building.add(cls)
    try:
        for i, field in enumerate(attrs.fields(model)):
            key = renames.get(field.name, field.name)
            tp = _substitute(field.type, params)
            optional = _is_optional(tp)
            inner = next(a for a in get_args(tp) if a is not NoneType) if optional else tp
            value = f"v{i}"
            if field.default is attrs.NOTHING:
                lines.append(f"    {value} = o[{key!r}]")
            elif field.default is None:
                lines.append(f"    {value} = g({key!r})")
            elif setters is not None:
                ns[f"d{i}"] = field.default.factory
                lines.append(f"    {value} = o[{key!r}] if {key!r} in o else d{i}()")
            else:
                lines.append(f"    if {key!r} in o:")
                lines.append(f"        kw[{field.alias!r}] = {value} = o[{key!r}]")
            in_kw = setters is None and field.default not in (None, attrs.NOTHING)
            indent = "        " if in_kw else "    "
            nullable = optional or field.default is None
            not_null = f"{value} is not None and " if nullable else ""
            convert: str | None = None
            if inner in _SCALARS:
                ns[f"t{i}"], ns[f"h{i}"] = inner, conv.get_structure_hook(inner)
                convert = (
                    f"if {not_null}{value}.__class__ is not t{i}: {value} = h{i}({value}, t{i})"
                )
            elif _is_model_list(inner):
                # Inline what the list hook does for a list: an empty one (most step and
                # attachment lists) costs no call. Anything else still goes to the hook.
                item = get_args(inner)[0]
                ns[f"t{i}"], ns[f"h{i}"] = inner, _hook_for(conv, inner)
                ns[f"m{i}"], ns[f"e{i}"] = item, _hook_for(conv, item)
                if item == cls:
                    recursive.append(f"e{i}")  # steps within steps: this very function
                when = f"if {value} is not None: " if nullable else ""
                convert = (
                    f"{when}{value} = ([e{i}(x, m{i}) for x in {value}] if {value} else []) "
                    f"if {value}.__class__ is list else h{i}({value}, t{i})"
                )
            elif inner is not Any:
                ns[f"t{i}"], ns[f"h{i}"] = inner, _hook_for(conv, inner)
                when = f"if {value} is not None: " if nullable else ""
                convert = f"{when}{value} = h{i}({value}, t{i})"
            if convert:
                lines.append(f"{indent}{convert}")
            if not in_kw:
                args.append(f"{field.alias}={value}")
            elif convert:
                lines.append(f"{indent}kw[{field.alias!r}] = {value}")
    finally:
        _building.discard(cls)
    if setters is not None:
        # Set the slots directly: what the frozen class's __init__ does, minus its frame.
        lines.append("    inst = __new(__cl)")
        for i, setter in enumerate(setters):
            ns[f"s{i}"] = setter
            lines.append(f"    s{i}(inst, v{i})")
        lines.append("    return inst")
        ns["__new"] = object.__new__
    else:
        if any("kw[" in line for line in lines):  # fields with a default other than None
            lines.insert(4, "    kw = {}")
            args.append("**kw")
        lines.append(f"    return __cl({', '.join(args)})")
    source = "\n".join(lines)
    exec(compile(source, f"<qase_async structure {model.__qualname__}>", "exec"), ns)
    fn: Callable[[Any, Any], Any] = ns["structure"]
    for name in recursive:
        ns[name] = fn
    return fn


def _is_attrs(cls: Any) -> bool:
    return attrs.has(get_origin(cls) or cls)


def make_converter(*, strict: bool = False, detailed: bool = False) -> cattrs.Converter:
    """A converter for qase_async models.

    Args:
        strict: Refuse unknown keys (tests use this to notice unmodelled fields on purpose).
        detailed: Collect the path of a failure (slower; used to explain a failed decode).
    """
    return _make_converter(strict=strict, detailed=detailed, generated=not (strict or detailed))


def _make_converter(*, strict: bool, detailed: bool, generated: bool) -> cattrs.Converter:
    """:func:`make_converter`; ``generated`` picks the structure functions of attrs models.

    ``generated=True`` is :func:`_fast_structure_fn` (what the client decodes with; tolerant
    only); ``False`` is cattrs' own generated code with the same hooks (the strict and
    detailed converters, and the baseline of ``benchmarks/bench_decode.py``).
    """
    if generated and (strict or detailed):
        raise ValueError("the generated structure functions are tolerant only")
    conv = cattrs.Converter(
        forbid_extra_keys=strict, detailed_validation=detailed, omit_if_default=True
    )
    configure_union_passthrough(int | str | float | bool | None, conv)
    conv.register_structure_hook_factory(_is_optional, lambda t: _optional_hook(conv, t))
    conv.register_structure_hook_factory(_is_scalar_list, lambda t: _scalar_list_hook(conv, t))
    if not (strict or detailed):
        # The detailed converter keeps cattrs' list hook, which notes the failing index.
        conv.register_structure_hook_factory(_is_model_list, lambda t: _model_list_hook(conv, t))
    conv.register_structure_hook(dt.datetime, _structure_datetime)
    conv.register_unstructure_hook(dt.datetime, lambda v: v.isoformat())

    def structure_factory(cls: Any) -> Callable[[Any, Any], Any]:
        renames = _renames(cls)
        if generated:
            return _fast_structure_fn(conv, cls, {k: o.rename for k, o in renames.items()})
        _building.add(cls)
        try:
            fields_fn = make_dict_structure_fn(
                cls,
                conv,
                _cattrs_forbid_extra_keys=strict,
                **renames,
            )
        finally:
            _building.discard(cls)

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
        key_type, value_type = (*get_args(cls), Any, Any)[:2]
        plain = key_type is str and (value_type is Any or value_type in _SCALARS)
        fast = plain and not (strict or detailed)
        values = {value_type}

        def hook(value: Any, _: Any) -> Any:
            # Already the right shape (statuses, params, fields): keep it as decoded.
            if (
                fast
                and value.__class__ is dict
                and (
                    value_type is Any
                    or ({*map(type, value)} <= {str} and {*map(type, value.values())} <= values)
                )
            ):
                return value
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
