"""Custom fields.

On read (v1) ``entity`` and ``type`` are names (``"case"``, ``"string"``) and ``value``
is the options as a JSON string; on write they are integer codes (entity: 0 case, 1 run,
2 defect; type: 0 number, 1 string, 2 text, 3 selectbox, 4 checkbox, 5 radio,
6 multiselect, 7 url, 8 user, 9 datetime) and ``value`` is a list of options. The v2
read model (``CustomFieldV2``) gives the options as a typed list.
"""

from __future__ import annotations

import datetime as dt

import attrs


@attrs.frozen(kw_only=True)
class CustomField:
    """A custom field as read (v1)."""

    id: int | None = None
    title: str | None = None
    entity: str | None = None
    type: str | None = None
    placeholder: str | None = None
    default_value: str | None = None
    value: str | None = None
    is_required: bool | None = None
    is_visible: bool | None = None
    is_filterable: bool | None = None
    is_enabled_for_all_projects: bool | None = None
    created: dt.datetime | None = None
    updated: dt.datetime | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    projects_codes: list[str] | None = None


@attrs.frozen(kw_only=True)
class CustomFieldOptionCreate:
    """An option of a select-like field to write."""

    id: int | None = None
    title: str | None = None


@attrs.frozen(kw_only=True)
class CustomFieldCreate:
    """A custom field to create; ``entity`` and ``type`` are integer codes here."""

    title: str
    entity: int
    type: int
    value: list[CustomFieldOptionCreate] | None = None
    placeholder: str | None = None
    default_value: str | None = None
    is_filterable: bool | None = None
    is_visible: bool | None = None
    is_required: bool | None = None
    is_enabled_for_all_projects: bool | None = None
    projects_codes: list[str] | None = None


@attrs.frozen(kw_only=True)
class CustomFieldUpdate:
    """The fields of a custom field to change.

    Attributes:
        replace_values: Old option id to new option id, to remap values in use.
    """

    title: str
    value: list[CustomFieldOptionCreate] | None = None
    replace_values: dict[str, str] | None = None
    placeholder: str | None = None
    default_value: str | None = None
    is_filterable: bool | None = None
    is_visible: bool | None = None
    is_required: bool | None = None
    is_enabled_for_all_projects: bool | None = None
    projects_codes: list[str] | None = None


@attrs.frozen(kw_only=True)
class CustomFieldOption:
    """An option of a select-like custom field (v2)."""

    id: int | None = None
    title: str | None = None
    slug: str | None = None
    color: str | None = None
    icon: str | None = None
    is_default: bool | None = None
    read_only: bool | None = None
    is_active: bool | None = None
    is_internal: bool | None = None
    behaviour: int | None = None


@attrs.frozen(kw_only=True)
class CustomFieldV2:
    """A custom field as read from v2: options are typed."""

    id: int | None = None
    title: str | None = None
    entity: str | None = None
    type: str | None = None
    placeholder: str | None = None
    default_value: str | None = None
    value: list[CustomFieldOption] | None = None
    is_required: bool | None = None
    is_visible: bool | None = None
    is_filterable: bool | None = None
    is_enabled_for_all_projects: bool | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    projects_codes: list[str] | None = None
