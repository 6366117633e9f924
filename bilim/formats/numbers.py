"""One number format per language, for every place that writes a figure outside a template.

Templates use Django's `floatformat` with the format modules (``bilim.formats.kk`` and Django's
own ru/en), and the browser receives the same separators from the page (``data-decimal`` and
``data-group`` on ``<html>``) instead of relying on its locale data, which formats kk like English.
PDF charts and exports call :func:`number` so that server, browser and print agree:
kk and ru ``1 234 567,3``, en ``1,234,567.3``.
"""

from __future__ import annotations

import math

from django.utils import formats, numberformat
from django.utils.translation import get_language


def separators(lang: str | None = None) -> tuple[str, str]:
    """(decimal separator, thousands separator) of `lang` (default: the active language)."""
    lang = (lang or get_language() or "kk")[:2]
    return (str(formats.get_format("DECIMAL_SEPARATOR", lang)),
            str(formats.get_format("THOUSAND_SEPARATOR", lang)))


def number(value: float | int | None, digits: int = 1, lang: str | None = None, empty: str = "—") -> str:
    """`value` with `digits` decimals and grouped thousands in `lang`; `empty` for no value."""
    if value is None:
        return empty
    try:
        f = float(value)
    except (TypeError, ValueError):
        return empty
    if math.isnan(f) or math.isinf(f):
        return empty
    dec, group = separators(lang)
    return numberformat.format(round(f, digits), dec, decimal_pos=digits, grouping=3, thousand_sep=group,
                               force_grouping=True)
