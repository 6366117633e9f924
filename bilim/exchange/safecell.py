"""Spreadsheet cells that stay data: neutralise text a spreadsheet would run as a formula.

A comment or a name such as `=HYPERLINK("http://…"&D2,"open")` becomes a live formula when an export
is opened in Excel or LibreOffice (OWASP "CSV injection"). Every CSV and XLSX writer passes its cells
through `cell()`, which puts a `'` before text starting with `=`, `+`, `-`, `@`, a tab or a carriage
return; numbers, negative ones included, stay numbers. Readers of CSV and XLSX files pass their cells
through `unescape()`, which removes that one `'`, so that an export imports back unchanged. Text that
already starts with `'` followed by such a character gets one more, so the round trip is exact.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

TRIGGERS = frozenset("=+-@\t\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# The same rule for Arrow string columns (RE2 syntax): one `'` before optional `'`s and a trigger.
ARROW_PATTERN = r"^'('*[=+\-@\t\r])"


def _risky(text: str) -> bool:
    body = text.lstrip("'")
    return body[:1] in TRIGGERS and not _NUMBER.fullmatch(text)


def cell(value: Any) -> Any:
    """`value` as a writer should emit it: text a spreadsheet would evaluate gets a leading `'`."""
    if isinstance(value, str) and value and _risky(value):
        return "'" + value
    return value


def row(values: Iterable[Any]) -> list[Any]:
    """`cell()` applied to every value of a row."""
    return [cell(v) for v in values]


def unescape(text: str) -> str:
    """The text a writer was given, from the cell it wrote (one leading `'` before a trigger removed)."""
    if text[:1] == "'" and text[1:].lstrip("'")[:1] in TRIGGERS:
        return text[1:]
    return text


def unescape_array(arr):  # pa.Array | pa.ChunkedArray -> same
    """`unescape()` over an Arrow string column (the fast CSV path reads columns, not cells)."""
    import pyarrow.compute as pc

    return pc.replace_substring_regex(arr, pattern=ARROW_PATTERN, replacement=r"\1")


def frame(df):  # pd.DataFrame -> pd.DataFrame
    """`cell()` applied to the text columns of a DataFrame about to be written as CSV."""
    out = df.copy()
    for name in out.columns:
        if out[name].dtype == object:
            out[name] = out[name].map(cell)
    return out
