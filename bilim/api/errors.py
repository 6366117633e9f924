"""Helpers for write endpoints: bad input becomes a 400 whose message names the field, in the
caller's language, never a 500. Used by the governance and projects write operations."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _
from ninja.errors import HttpError

from bilim.registry.models import OrgUnit


def describe(exc: ValidationError) -> str:
    """'field: message; other: message' (a message about the whole record without a field name)."""
    if hasattr(exc, "error_dict"):
        return "; ".join(m if f == NON_FIELD_ERRORS else f"{f}: {m}"
                         for f, msgs in exc.message_dict.items() for m in msgs)
    return "; ".join(exc.messages)


@contextmanager
def field_errors() -> Iterator[None]:
    """Turn a service's ValidationError into a 400 naming the fields."""
    try:
        yield
    except ValidationError as e:
        raise HttpError(400, describe(e)) from e


def unit_field(field: str, code: str | None, required: bool = True) -> OrgUnit | None:
    """The org unit a body field names; a 400 naming the field when it names none."""
    if not code:
        if required:
            raise HttpError(400, f"{field}: " + _("This field is required."))
        return None
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        raise HttpError(400, f"{field}: " + _("No org unit with code %(code)s: choose one from the list.")
                        % {"code": code})
    return unit


def unit_list(field: str, codes: Sequence[str] | None) -> list[OrgUnit]:
    return [u for u in (unit_field(field, c) for c in (codes or [])) if u is not None]


def choice_field(field: str, value: str | None, allowed: Sequence[str]) -> None:
    if value is not None and value not in allowed:
        raise HttpError(400, f"{field}: " + _("'%(value)s' is not one of %(allowed)s.")
                        % {"value": value, "allowed": ", ".join(allowed)})
