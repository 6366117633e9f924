"""Writes of data values: one at a time (forms, API) and a million at a time (imports).

Both paths apply the rules of `collection.validation`, keep a `DataValueAudit` row for every value
that changes (old and new value, who, when, which batch) and append to the hash-chained audit trail:
one record per single save, one per import batch. Each record names its batch of value history, whose
digest is chained with it (`bilim.audit.services`), so the history cannot be edited unseen.

Single saves use optimistic concurrency: the caller states the `version` it read (None when it saw no
value); if someone else changed the value in between, `ConflictError` says so and nothing is written.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from django.db import connection, transaction
from django.utils import timezone

from bilim.audit import services as audit
from bilim.metadata.models import CATEGORY_ORDER, DataElement, DataSet
from bilim.registry.models import OrgUnit

from .models import DataValue, DataValueAudit
from .validation import (
    CheckedValue,
    ElementInfo,
    Reference,
    ResolvedValues,
    UnitInfo,
    check_value,
    disaggregation_label,
)

FIELD_OF = {c: c.lower() for c in CATEGORY_ORDER}  # SEX -> DataValue.sex


class ConflictError(Exception):
    """The value changed since the caller read it (optimistic concurrency); reload and retry."""

    def __init__(self, message: str, current: DataValue | None = None):
        super().__init__(message)
        self.current = current


class LockedError(Exception):
    """The value belongs to approved data and may not change until the approval is withdrawn."""


def is_locked(org_unit: OrgUnit | UnitInfo, period: str, data_set: DataSet | ElementInfo | None) -> bool:
    """Whether values of `data_set` (or of a data element) for `org_unit` and `period` are locked.

    The hook for approvals (school -> district -> region -> ministry): approved data is read-only.
    Delegates to `bilim.approval.services.is_locked` (imported here to avoid an import cycle).
    """
    from bilim.approval.services import is_locked as approval_is_locked

    return approval_is_locked(org_unit, period, data_set)


def _ref_for(data_element: str, org_unit: str) -> Reference:
    return Reference.load(unit_codes=[org_unit])


def _code(obj: Any) -> str:
    return obj.code if hasattr(obj, "code") else str(obj or "")


def _key_filter(checked: CheckedValue) -> dict[str, Any]:
    f: dict[str, Any] = {"data_element_id": checked.element.id, "period": checked.period.code,
                         "org_unit_id": checked.unit.id}
    for cat in CATEGORY_ORDER:
        f[FIELD_OF[cat]] = checked.categories.get(cat, "")
    return f


@transaction.atomic
def save_value(*, data_element: str | DataElement, period: str, org_unit: str | OrgUnit, value: Any,
               categories: dict[str, str] | None = None, comment: str = "", version: int | None = None,
               actor: str = "") -> DataValue:
    """Create or change one value.

    `version` is the version the caller read, or None if it saw no value. A mismatch raises
    `ConflictError` (with the current value) and writes nothing. Saving what is already stored
    changes nothing and keeps the version.
    """
    de_code, ou_code = _code(data_element), _code(org_unit)
    ref = _ref_for(de_code, ou_code)
    checked = check_value(ref, de_code, period, ou_code, value, categories)
    if is_locked(checked.unit, checked.period.code, checked.element):
        raise LockedError(f"{de_code} for {ou_code} in {checked.period.code} is approved and locked")
    comment = comment or ""
    key = _key_filter(checked)
    current = DataValue.objects.select_for_update().filter(**key).first()
    dis = disaggregation_label(checked.categories)
    now = timezone.now()
    label = f"{de_code}/{checked.period.code}/{ou_code}" + (f"/{dis}" if dis else "")
    if current is None:
        if version is not None:
            raise ConflictError(f"{label} was deleted by someone else after you read it (version {version})")
        obj = DataValue.objects.create(**key, value=checked.value, comment=comment, stored_by=actor, version=1)
        batch = new_batch_id()
        DataValueAudit.objects.create(data_element_code=de_code, period=checked.period.code,
                                      org_unit_code=ou_code, disaggregation=dis, action=DataValueAudit.Action.CREATE,
                                      old_value=None, new_value=checked.value, by=actor, batch=batch)
        audit.record(actor, "collection.save_value", "DataValue", label, None,
                     {"value": checked.value, "comment": comment, "version": 1}, values_batch=batch)
        return obj
    if version is None:
        raise ConflictError(f"{label} already has a value ({current.value:g}, version {current.version}); "
                            "someone entered it after you read the form", current)
    if current.version != version:
        raise ConflictError(f"{label} was changed by {current.stored_by or 'someone else'} after you read it "
                            f"(you read version {version}, it is now version {current.version}, value "
                            f"{current.value:g})", current)
    if current.value == checked.value and current.comment == comment:
        return current
    updated = DataValue.objects.filter(pk=current.pk, version=version).update(
        value=checked.value, comment=comment, stored_by=actor, updated=now, version=version + 1)
    if not updated:  # a concurrent writer won between the read and the write (no row locks on SQLite)
        raise ConflictError(f"{label} was changed by someone else while you saved it", current)
    batch = new_batch_id()
    DataValueAudit.objects.create(data_element_code=de_code, period=checked.period.code, org_unit_code=ou_code,
                                  disaggregation=dis, action=DataValueAudit.Action.UPDATE,
                                  old_value=current.value, new_value=checked.value, by=actor, batch=batch)
    audit.record(actor, "collection.save_value", "DataValue", label,
                 {"value": current.value, "comment": current.comment, "version": version},
                 {"value": checked.value, "comment": comment, "version": version + 1}, values_batch=batch)
    current.refresh_from_db()
    return current


@transaction.atomic
def delete_value(*, data_element: str | DataElement, period: str, org_unit: str | OrgUnit,
                 categories: dict[str, str] | None = None, version: int, actor: str = "") -> None:
    """Delete one value the caller read at `version`; `ConflictError` if it changed since."""
    de_code, ou_code = _code(data_element), _code(org_unit)
    ref = _ref_for(de_code, ou_code)
    checked = check_value(ref, de_code, period, ou_code, 0, categories)
    if is_locked(checked.unit, checked.period.code, checked.element):
        raise LockedError(f"{de_code} for {ou_code} in {checked.period.code} is approved and locked")
    dis = disaggregation_label(checked.categories)
    label = f"{de_code}/{checked.period.code}/{ou_code}" + (f"/{dis}" if dis else "")
    current = DataValue.objects.select_for_update().filter(**_key_filter(checked)).first()
    if current is None:
        raise ConflictError(f"{label} has no value (it was deleted by someone else?)")
    if current.version != version or not DataValue.objects.filter(pk=current.pk, version=version).delete()[0]:
        raise ConflictError(f"{label} was changed after you read it (you read version {version}, it is now "
                            f"version {current.version}, value {current.value:g})", current)
    batch = new_batch_id()
    DataValueAudit.objects.create(data_element_code=de_code, period=checked.period.code, org_unit_code=ou_code,
                                  disaggregation=dis, action=DataValueAudit.Action.DELETE,
                                  old_value=current.value, new_value=None, by=actor, batch=batch)
    audit.record(actor, "collection.delete_value", "DataValue", label,
                 {"value": current.value, "comment": current.comment, "version": version}, None,
                 values_batch=batch)


# --- bulk writes -------------------------------------------------------------------------------------

@dataclass
class WriteCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


_CAT_COLS = [FIELD_OF[c] for c in CATEGORY_ORDER]
_KEY_COLS = ["data_element_id", "period", "org_unit_id", *_CAT_COLS]


def _literal(text: str) -> str:
    return "'" + text.replace("\x00", "").replace("'", "''") + "'"


def new_batch_id() -> str:
    return uuid.uuid4().hex


def prepare_bulk_connection() -> None:
    """SQLite only, outside a transaction: staging tables in memory, a page cache big enough for the
    indexes of a million-row import (256 MiB for this connection instead of 2 MiB), and no automatic
    WAL checkpoint inside the import's commit — the WAL is folded back into the database by the next
    checkpoint (another writer's commit, or the last connection closing). Undone by
    `finish_bulk_connection`."""
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        with connection.cursor() as cur:
            cur.execute("PRAGMA temp_store = MEMORY")
            cur.execute("PRAGMA cache_size = -262144")
            cur.execute("PRAGMA wal_autocheckpoint = 0")


def finish_bulk_connection() -> None:
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        with connection.cursor() as cur:
            cur.execute("PRAGMA wal_autocheckpoint = 1000")
            cur.execute("PRAGMA cache_size = -2000")
            cur.execute("PRAGMA temp_store = DEFAULT")


def write_values(res: ResolvedValues, *, actor: str = "", batch: str = "", dry_run: bool = False,
                 progress=None, source: str = "") -> WriteCounts:
    """Create or update every value of `res` (already validated) in the caller's transaction.

    Set-based, so a million values cost a few statements rather than a million round trips:
    1. the rows go once into a temporary staging table (four numbers per row, in index order);
    2. one pass matches them with stored values (`matched`: stored id, old value, changed flag) —
       skipped for partitions (data element x period) that hold no values yet;
    3. audit rows for new and changed values, an UPDATE by primary key of the changed values and an
       INSERT .. ON CONFLICT DO UPDATE of the new ones (the conflict clause only matters if another
       writer got in first). Unchanged values are not touched. A dry run stops after counting.
    Works on SQLite (>= 3.33 for UPDATE .. FROM; older versions upsert everything) and PostgreSQL.
    """
    counts = WriteCounts()
    if res.n == 0:
        return counts
    batch = batch or new_batch_id()
    vendor = connection.vendor
    part_of_row, parts = res.partitions
    de_code_of = dict(zip(res.element_ids.tolist(), res.element_codes.tolist(), strict=True))
    tag = uuid.uuid4().hex[:8]
    t_parts, t_combo, t_stage, t_match = (f"bilim_{name}_{tag}" for name in ("parts", "combo", "stage", "match"))
    on_commit = " ON COMMIT DROP" if vendor == "postgresql" else ""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    has_comment = res.comments is not None
    update_from = vendor != "sqlite" or _sqlite_version() >= (3, 33)
    with connection.cursor() as cur:
        if vendor == "sqlite" and not dry_run:
            # take the write lock before reading: in WAL mode a transaction that read first and
            # writes later fails at once (SQLITE_BUSY_SNAPSHOT) if another writer committed between
            cur.execute("UPDATE collection_datavalue SET version = version WHERE 1 = 0")
        # partitions that hold no values yet: their rows are all new, no comparison needed
        fresh = []
        for de_id, pe in parts:
            cur.execute("SELECT 1 FROM collection_datavalue WHERE data_element_id = %s AND period = %s LIMIT 1",
                        [de_id, pe])
            fresh.append(cur.fetchone() is None)
        cur.execute(f"CREATE TEMPORARY TABLE {t_parts} (id INTEGER PRIMARY KEY, de BIGINT, pe VARCHAR(24), "
                    f"de_code VARCHAR(40), fresh INTEGER){on_commit}")
        cur.executemany(f"INSERT INTO {t_parts} VALUES (%s, %s, %s, %s, %s)",
                        [(i, de, pe, de_code_of[de], int(f)) for i, ((de, pe), f) in enumerate(
                            zip(parts, fresh, strict=True))])
        cur.execute(f"CREATE TEMPORARY TABLE {t_combo} (id INTEGER PRIMARY KEY, sex VARCHAR(4), age VARCHAR(4), "
                    f"grade VARCHAR(4), qual VARCHAR(12), exp VARCHAR(12), lang VARCHAR(4), dis VARCHAR(64))"
                    f"{on_commit}")
        cur.executemany(f"INSERT INTO {t_combo} VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                        [(i, *c, disaggregation_label(dict(zip(CATEGORY_ORDER, c, strict=True))))
                         for i, c in enumerate(res.combos)])
        sid = "sid INTEGER PRIMARY KEY" if vendor == "sqlite" else "sid BIGSERIAL PRIMARY KEY"
        cur.execute(f"CREATE TEMPORARY TABLE {t_stage} ({sid}, part INTEGER, ou BIGINT, combo INTEGER, "
                    f"value DOUBLE PRECISION{', comment TEXT' if has_comment else ''}){on_commit}")
        _stage(cur, t_stage, res, part_of_row, progress)
        if vendor == "postgresql":  # temporary tables have no statistics until analysed: plans go wrong
            cur.execute(f"ANALYZE {t_stage}, {t_parts}, {t_combo}")

        src = f"FROM {t_stage} s JOIN {t_parts} p ON p.id = s.part JOIN {t_combo} c ON c.id = s.combo"
        s_comment = "s.comment" if has_comment else "''"
        keep_comment = not res.comment_given  # no comment column: stored comments stay as they are
        differs = "d.value <> s.value" + ("" if keep_comment else f" OR d.comment <> {s_comment}")
        rows_per_part = np.bincount(part_of_row, minlength=len(parts)).tolist()
        counts.created = sum(c for c, f in zip(rows_per_part, fresh, strict=True) if f)
        any_stored = not all(fresh)
        if any_stored:
            match = ("d.data_element_id = p.de AND d.period = p.pe AND d.org_unit_id = s.ou AND d.sex = c.sex AND "
                     "d.age = c.age AND d.grade = c.grade AND d.qual = c.qual AND d.exp = c.exp AND d.lang = c.lang")
            cur.execute(f"CREATE TEMPORARY TABLE {t_match} (sid BIGINT PRIMARY KEY, did BIGINT, old DOUBLE PRECISION, "
                        f"chg INTEGER){on_commit}")
            cur.execute(f"INSERT INTO {t_match} SELECT s.sid, d.id, d.value, CASE WHEN {differs} THEN 1 ELSE 0 END"
                        f" {src} JOIN collection_datavalue d ON {match} "
                        "WHERE p.fresh = 0")
            cur.execute(f"SELECT COUNT(*), COALESCE(SUM(chg), 0) FROM {t_match}")
            found, changed_n = (int(x) for x in cur.fetchone())
            counts.created += sum(c for c, f in zip(rows_per_part, fresh, strict=True) if not f) - found
            counts.updated = changed_n
            counts.unchanged = found - changed_n
        if progress:
            progress(92, 100, "writing")
        if not dry_run and (counts.created or counts.updated):
            new_only = f" LEFT JOIN {t_match} m ON m.sid = s.sid" if any_stored else ""
            new_where = "m.sid IS NULL" if any_stored else "1 = 1"
            audit_insert = ("INSERT INTO collection_datavalueaudit (data_element_code, period, org_unit_code, "
                            "disaggregation, action, old_value, new_value, by, at, batch) ")
            if counts.created:
                cur.execute(audit_insert + "SELECT p.de_code, p.pe, o.code, c.dis, 'create', NULL, s.value, "
                            f"%s, %s, %s {src} JOIN registry_orgunit o ON o.id = s.ou{new_only} WHERE {new_where}",
                            [actor, now, batch])
            if counts.updated:
                cur.execute(audit_insert + "SELECT p.de_code, p.pe, o.code, c.dis, 'update', m.old, s.value, "
                            f"%s, %s, %s FROM {t_match} m JOIN {t_stage} s ON s.sid = m.sid "
                            f"JOIN {t_parts} p ON p.id = s.part JOIN {t_combo} c ON c.id = s.combo "
                            "JOIN registry_orgunit o ON o.id = s.ou WHERE m.chg = 1", [actor, now, batch])
            if progress:
                progress(96, 100, "writing")
            if counts.updated and update_from:
                set_comment = "" if keep_comment else f"comment = {s_comment}, "
                cur.execute(f"UPDATE collection_datavalue SET value = s.value, {set_comment}"
                            "stored_by = %s, updated = %s, version = collection_datavalue.version + 1 "
                            f"FROM {t_match} m JOIN {t_stage} s ON s.sid = m.sid "
                            "WHERE collection_datavalue.id = m.did AND m.chg = 1", [actor, now])
            cols = ", ".join(_KEY_COLS)
            if counts.created or not update_from:
                # "WHERE .." also keeps SQLite from reading ON CONFLICT as a join constraint
                cur.execute(
                    f"INSERT INTO collection_datavalue ({cols}, value, comment, stored_by, created, updated, "
                    f"version) SELECT p.de, p.pe, s.ou, c.sex, c.age, c.grade, c.qual, c.exp, c.lang, s.value, "
                    f"{s_comment}, %s, %s, %s, 1 {src}{new_only if update_from else ''} "
                    f"WHERE {new_where if update_from else '1 = 1'} "
                    f"ON CONFLICT ({cols}) DO UPDATE SET value = excluded.value, "
                    + ("" if keep_comment else "comment = excluded.comment, ")
                    + "stored_by = excluded.stored_by, updated = excluded.updated, "
                    "version = collection_datavalue.version + 1 "
                    "WHERE collection_datavalue.value <> excluded.value"
                    + ("" if keep_comment else " OR collection_datavalue.comment <> excluded.comment"),
                    [actor, now, now])
        if vendor == "postgresql" and not dry_run and counts.created + counts.updated > 50_000:
            # a big import changes the tables' statistics; the next import's plans depend on them
            cur.execute("ANALYZE collection_datavalue, collection_datavalueaudit")
        if not dry_run:
            audit.record(actor, "collection.import", "DataValueBatch", batch, None,
                         {"source": source, "created": counts.created, "updated": counts.updated,
                          "unchanged": counts.unchanged,
                          "partitions": [f"{de_code_of[de]}/{pe}" for de, pe in parts][:100]},
                         values_batch=batch)
        if vendor != "postgresql":
            for t in (t_match, t_stage, t_combo, t_parts):
                cur.execute(f"DROP TABLE IF EXISTS {t}")
    if progress:
        progress(100, 100, "writing")
    return counts


def _sqlite_version() -> tuple[int, ...]:
    import sqlite3

    return sqlite3.sqlite_version_info


def _stage(cur, table: str, res: ResolvedValues, part_of_row: np.ndarray, progress) -> None:
    """Send the rows to the staging table, in the order of the unique index (the only per-row Python work)."""
    combo_rank = np.empty(len(res.combos), dtype=np.int64)
    combo_rank[np.array(sorted(range(len(res.combos)), key=lambda i: res.combos[i]), dtype=np.int64)] = \
        np.arange(len(res.combos))
    order = np.lexsort((combo_rank[res.combo_index], res.unit_ids, part_of_row))
    columns = [part_of_row[order].tolist(), res.unit_ids[order].tolist(), res.combo_index[order].tolist(),
               res.values[order].tolist()]
    if res.comments is not None:
        columns.append(res.comments.take(pa.array(order)).to_pylist())
    placeholders = ", ".join(["%s"] * len(columns))
    names = "part, ou, combo, value" + (", comment" if len(columns) == 5 else "")
    if connection.vendor == "postgresql" and hasattr(cur.cursor, "copy"):
        # psycopg 3: COPY is the fast lane into PostgreSQL. One COPY per chunk, and progress is
        # reported between them: a callback that touches the database while a COPY is open on the
        # same connection would wait for it forever.
        for start in range(0, res.n, 200_000):
            end = min(start + 200_000, res.n)
            with cur.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in zip(*(c[start:end] for c in columns), strict=True):
                    copy.write_row(row)
            if progress:
                progress(int(50 + 40 * end / res.n), 100, "writing")
        return
    if connection.vendor == "sqlite":
        # straight to the sqlite3 driver: Django's cursor wrapper rewrites the query for every row
        run = connection.connection.executemany
        sql = f"INSERT INTO {table} ({names}) VALUES ({placeholders.replace('%s', '?')})"
    else:
        run = cur.executemany
        sql = f"INSERT INTO {table} ({names}) VALUES ({placeholders})"
    chunk = 200_000
    for start in range(0, res.n, chunk):
        end = min(start + chunk, res.n)
        run(sql, list(zip(*(c[start:end] for c in columns), strict=True)))
        if progress:
            progress(int(50 + 40 * end / res.n), 100, "writing")
