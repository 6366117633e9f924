"""How far up the approval chain each stored value has climbed, for the warehouse (Django side).

Aggregates must not show unapproved data above the levels that may see it (the rule of
`bilim.accounts.permissions.values_reader`, applied to the warehouse). For every form, period and
reporting unit the refresh computes `visible_to`, the highest reader level that may see the unit's
values of that form:

    1 district (the level directly above a school: always), 2 region, 3 ministry, 4 the public.

With `climbed` = how many units of the chain (the reporting unit, then its parents on the census
date) have moved the form past `open`, readers up to chain position ``max(1, climbed)`` may see the
values; a chain that is done to the top (the republic has accepted) makes them public. The level of
a chain position is the kind of the unit there (district 1, region 2, republic 3).

A value whose element several forms collect from that unit counts as approved when any of them
was (its approval covered the value); a value no form collects from that kind of unit is guarded by
role and scope only, like `value_rows_reader`, and is public. Readers get their level from
`bilim.accounts.permissions.analytics_level`; the query service filters the facts through views
(see `service._open_snapshot`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict

import pyarrow as pa
from django.db import connection

KIND_LEVEL = {"district": 1, "region": 2, "republic": 3}
PUBLIC = 4
LEVELS = (0, 1, 2, 3, 4)  # 0: everything (administrators, the CLI operator, a unit's own values)

SCHEMA = pa.schema([("form", pa.string()), ("period", pa.string()), ("ou_id", pa.int64()),
                    ("visible_to", pa.int32())])
FORM_ELEMENTS = pa.schema([("form", pa.string()), ("de", pa.string())])


def fingerprint(registry_fp: str) -> str:
    """Changes when anything `visible_to` depends on changes: approval states, forms, the registry."""
    h = hashlib.sha256(registry_fp.encode())
    with connection.cursor() as cur:
        cur.execute("SELECT data_set_id, period, org_unit_id, status FROM approval_approvalstate "
                    "ORDER BY data_set_id, period, org_unit_id")
        while rows := cur.fetchmany(100_000):
            h.update(repr(rows).encode())
        cur.execute("SELECT d.code, d.org_types, e.code FROM metadata_dataset d "
                    "JOIN metadata_dataset_data_elements m ON m.dataset_id = d.id "
                    "JOIN metadata_dataelement e ON e.id = m.dataelement_id ORDER BY d.code, e.code")
        h.update(repr(cur.fetchall()).encode())
    return h.hexdigest()


def build(partitions: set[tuple[str, str]]) -> tuple[pa.Table, pa.Table]:
    """(form visibility rows, form elements) for the forms and periods that have facts."""
    import json

    from bilim.metadata import periods as period_codes
    from bilim.registry import selectors as registry

    from .refresh import _date  # SQLite dates are text, PostgreSQL's dates

    with connection.cursor() as cur:
        cur.execute("SELECT d.id, d.code, d.org_types, e.code FROM metadata_dataset d "
                    "JOIN metadata_dataset_data_elements m ON m.dataset_id = d.id "
                    "JOIN metadata_dataelement e ON e.id = m.dataelement_id")
        forms: dict[int, tuple[str, frozenset[str], set[str]]] = {}
        for ds_id, code, types, de in cur.fetchall():
            if isinstance(types, str):
                types = json.loads(types or "[]")
            forms.setdefault(ds_id, (code, frozenset(types or ()), set()))[2].add(de)
        cur.execute("SELECT id, kind, org_type, opened, closed FROM registry_orgunit")
        units = [(i, k, t, _date(o), _date(c)) for i, k, t, o, c in cur.fetchall()]
        cur.execute("SELECT data_set_id, period, org_unit_id FROM approval_approvalstate WHERE status <> 'open'")
        not_open: dict[tuple[int, str], set[int]] = defaultdict(set)
        for ds_id, period, ou_id in cur.fetchall():
            not_open[(ds_id, period)].add(ou_id)
    kind_of = {i: k for i, k, *_ in units}
    parents: dict[dt.date, dict[int, int]] = {}
    by_period: dict[str, set[str]] = defaultdict(set)
    for de, period in partitions:
        by_period[period].add(de)

    cols: dict[str, list] = {"form": [], "period": [], "ou_id": [], "visible_to": []}
    element_rows: dict[str, list] = {"form": [], "de": []}
    for ds_id, (code, types, elements) in forms.items():
        element_rows["form"] += [code] * len(elements)
        element_rows["de"] += sorted(elements)
        for period, des in by_period.items():
            if not des & elements:
                continue
            try:
                day = period_codes.parse(period).census_date
            except period_codes.PeriodError:
                continue
            parent = parents.get(day)
            if parent is None:
                parent = parents[day] = registry.parent_map(day)
            done = not_open.get((ds_id, period), set())
            for ou_id, kind, org_type, opened, closed in units:
                if not ((kind == "organization" and org_type in types) or kind in types):
                    continue
                if (opened and opened > day) or (closed and closed <= day):
                    continue
                cols["form"].append(code)
                cols["period"].append(period)
                cols["ou_id"].append(ou_id)
                cols["visible_to"].append(_visible_to(ou_id, parent, done, kind_of))
    return pa.table(cols, schema=SCHEMA), pa.table(element_rows, schema=FORM_ELEMENTS)


def _visible_to(ou_id: int, parent: dict[int, int], done: set[int], kind_of: dict[int, str]) -> int:
    from bilim.approval.selectors import approval_chain
    from bilim.approval.selectors import climbed as climbed_of

    chain = approval_chain(ou_id, parent)
    climbed = climbed_of(chain, done)
    if climbed >= len(chain):
        return PUBLIC  # done to the top (a republic reporting for itself: once it submitted)
    reach = min(max(1, climbed), len(chain) - 1)
    levels = [KIND_LEVEL[kind_of[pk]] for pk in chain[:reach + 1] if kind_of.get(pk) in KIND_LEVEL]
    return max(levels, default=1)
