"""The warehouse contract the indicator engine reads, and helpers to build one.

The refresh job (Django side) writes these tables; tests and benchmarks build them from pandas
DataFrames with :func:`load_warehouse`.  Keeping the contract this small (a fact table, org-unit
attributes and a hierarchy closure per validity interval) is what lets one indicator definition
run unchanged on DuckDB, PostgreSQL or Spark.

Assumption the engine relies on (no double counting): for a given data element, period and
organization, values are stored at ONE disaggregation granularity (e.g. ENROL always by sex, grade
and age, never additionally as a total row).  Indicators sum every row that matches their filters,
so a stored total next to its breakdown would be counted twice.  Likewise a non-additive figure
(GDP_PC) is read by lookup, and POP for a period is attached at one level only (districts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa

__all__ = ["SCHEMAS", "closure_from_parents", "load_warehouse", "conform"]

SCHEMAS: dict[str, pa.Schema] = {
    "facts": pa.schema(
        [
            ("de", pa.string()),
            ("period", pa.string()),
            ("ou_id", pa.int64()),
            ("sex", pa.string()),
            ("age", pa.string()),
            ("grade", pa.string()),
            ("qual", pa.string()),
            ("exp", pa.string()),
            ("lang", pa.string()),
            ("area", pa.string()),
            ("value", pa.float64()),
        ]
    ),
    "org_units": pa.schema(
        [
            ("ou_id", pa.int64()),
            ("code", pa.string()),
            ("kind", pa.string()),
            ("org_type", pa.string()),
            ("area", pa.string()),
            ("ownership", pa.string()),
            ("shifts", pa.int32()),
            ("emergency", pa.bool_()),
            ("capacity", pa.float64()),
            ("name_en", pa.string()),
            ("name_kk", pa.string()),
            ("name_ru", pa.string()),
        ]
    ),
    "closure": pa.schema(
        [
            ("ancestor_id", pa.int64()),
            ("descendant_id", pa.int64()),
            ("depth", pa.int32()),
            ("valid_from", pa.date32()),
            ("valid_to", pa.date32()),
        ]
    ),
    "periods": pa.schema(
        [("period", pa.string()), ("start", pa.date32()), ("end", pa.date32()), ("ref_date", pa.date32())]
    ),
}
"""Column types of the warehouse tables.  ``facts.area`` is optional: when present it carries the
URBAN/RURAL split of figures attached to territories (POP by area); for facts attached to
organizations the engine falls back to ``org_units.area``."""

BEGINNING_OF_TIME = dt.date(1900, 1, 1)


def _as_date(value: Any) -> dt.date | None:
    # NaT is a datetime too: tested first, or it became 0001-01-01 (a closure row valid for no date)
    if value is None or value is pd.NaT or (not isinstance(value, dt.date) and pd.isna(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()


def conform(name: str, df: pd.DataFrame) -> pa.Table:
    """A pyarrow table with exactly the contract's columns and types (missing optional columns NULL)."""
    schema = SCHEMAS[name]
    columns = {}
    for fld in schema:
        if fld.name in df.columns:
            values = df[fld.name].tolist()
        else:
            values = [None] * len(df)
        if pa.types.is_date(fld.type):
            values = [_as_date(v) for v in values]
        else:
            values = [
                None if (v is None or (not isinstance(v, str | bool) and pd.isna(v))) else v for v in values
            ]
        columns[fld.name] = pa.array(values, type=fld.type)
    return pa.table(columns, schema=schema)


def load_warehouse(
    con: ibis.BaseBackend,
    *,
    facts: pd.DataFrame,
    org_units: pd.DataFrame,
    closure: pd.DataFrame,
    periods: pd.DataFrame | None = None,
) -> ibis.BaseBackend:
    """Create (replace) the warehouse tables on ``con`` from DataFrames; returns ``con``.

    On Spark the tables are session-scoped temporary views, so tests never write a
    ``spark-warehouse`` directory.
    """
    frames: dict[str, pd.DataFrame] = {"facts": facts, "org_units": org_units, "closure": closure}
    if periods is not None:
        frames["periods"] = periods
    for name, df in frames.items():
        table = conform(name, df)
        if con.name == "pyspark":
            session = con._session  # noqa: SLF001 - ibis exposes no public temp-view API
            rows = [tuple(r.values()) for r in table.to_pylist()]
            session.createDataFrame(rows, schema=_spark_schema(table.schema)).createOrReplaceTempView(name)
        else:
            con.create_table(name, table, overwrite=True)
    return con


def _spark_schema(schema: pa.Schema) -> str:
    names = {
        pa.string(): "string",
        pa.int64(): "bigint",
        pa.int32(): "int",
        pa.float64(): "double",
        pa.bool_(): "boolean",
        pa.date32(): "date",
    }
    return ", ".join(f"`{f.name}` {names[f.type]}" for f in schema)


def closure_from_parents(
    parents: pd.DataFrame,
    units: pd.DataFrame | Iterable[int] | None = None,
) -> pd.DataFrame:
    """Build the closure table per validity interval from an effective-dated parent relation.

    ``parents`` has ``child_id, parent_id, valid_from, valid_to`` (valid_to exclusive, NULL = open).
    ``units`` optionally gives ``ou_id, valid_from, valid_to`` (when the unit existed); by default a
    unit exists whenever it appears in ``parents`` as a child or a parent, from 1900-01-01.

    The hierarchy is evaluated on every elementary interval between change dates, and consecutive
    intervals with the same (ancestor, descendant, depth) are merged, so a unit that never moved has
    one row per ancestor.  This is the same computation the refresh job needs.
    """
    edges = [
        (int(r.child_id), int(r.parent_id), _as_date(r.valid_from) or BEGINNING_OF_TIME, _as_date(r.valid_to))
        for r in parents.itertuples(index=False)
    ]
    if units is None:
        ids = {e[0] for e in edges} | {e[1] for e in edges}
        life: list[tuple[int, dt.date, dt.date | None]] = [(i, BEGINNING_OF_TIME, None) for i in sorted(ids)]
    elif isinstance(units, pd.DataFrame):
        life = [
            (int(r.ou_id), _as_date(getattr(r, "valid_from", None)) or BEGINNING_OF_TIME,
             _as_date(getattr(r, "valid_to", None)))
            for r in units.itertuples(index=False)
        ]  # fmt: skip
    else:
        life = [(int(i), BEGINNING_OF_TIME, None) for i in units]
    cuts = {BEGINNING_OF_TIME}
    for _c, _p, start, end in edges:
        cuts.add(start)
        if end:
            cuts.add(end)
    for _i, start, end in life:
        cuts.add(start)
        if end:
            cuts.add(end)
    bounds = sorted(cuts)
    intervals = [(b, bounds[i + 1] if i + 1 < len(bounds) else None) for i, b in enumerate(bounds)]

    def alive(start: dt.date, end: dt.date | None, day: dt.date) -> bool:
        return start <= day and (end is None or day < end)

    open_rows: dict[tuple[int, int, int], list[Any]] = {}
    done: list[list[Any]] = []
    for start, end in intervals:
        parent: Mapping[int, int] = {c: p for c, p, s, e in edges if alive(s, e, start)}
        present: set[tuple[int, int, int]] = set()
        for unit, s, e in life:
            if not alive(s, e, start):
                continue
            node, depth, seen = unit, 0, set()
            while node is not None and node not in seen:
                present.add((node, unit, depth))
                seen.add(node)
                node = parent.get(node)
                depth += 1
        for key in list(open_rows):
            if key not in present:
                done.append(open_rows.pop(key))
        for key in present:
            row = open_rows.get(key)
            if row is None:
                open_rows[key] = [key[0], key[1], key[2], start, end]
            else:
                row[4] = end
    done.extend(open_rows.values())
    out = pd.DataFrame(done, columns=["ancestor_id", "descendant_id", "depth", "valid_from", "valid_to"])
    return out.sort_values(["descendant_id", "valid_from", "depth"], ignore_index=True)
