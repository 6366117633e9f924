"""Backup and restore of the whole installation: the database and the analytics warehouse, in one zip.

The archive holds `manifest.json` (engine, row count per table, applied migrations), then either
`db.sqlite3` (SQLite: a consistent copy made with SQLite's online backup API, safe while the app
runs) or `data.json` (any engine: Django's dumpdata, portable between SQLite and PostgreSQL), and
`warehouse.duckdb` when the warehouse exists. Restore refuses to overwrite a database that holds data
unless forced, and restores in one step (SQLite page copy, or one transaction of loaddata).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections, transaction

from bilim.config.private import open_private

FORMAT = "bilim-backup/1"
# Tables Django fills by itself after migrate; they do not make a database "non-empty".
# ... and the job queue (django-tasks-db): refresh jobs are not data; a portable backup leaves them out
BOOKKEEPING = {"django_migrations", "django_content_type", "auth_permission", "django_session",
               "django_tasks_database_dbtaskresult"}


class BackupError(Exception):
    pass


@dataclass
class Manifest:
    engine: str
    created: str
    tables: dict[str, int]
    migrations: list[list[str]]
    members: list[str] = field(default_factory=list)
    format: str = FORMAT


def table_counts() -> dict[str, int]:
    out = {}
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cur:
        for table in sorted(existing):
            cur.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            out[table] = cur.fetchone()[0]
    return out


def is_empty() -> bool:
    counts = table_counts() if connection.introspection.table_names() else {}
    return all(n == 0 for t, n in counts.items() if t not in BOOKKEEPING)


def _is_sqlite() -> bool:
    return connection.vendor == "sqlite"


def _warehouse() -> Path:
    return Path(settings.BILIM_WAREHOUSE_PATH)


def backup(path: str | Path, portable: bool = False) -> Manifest:
    """Write the archive to `path` (atomically: a temporary file renamed at the end)."""
    path = Path(path)
    with connection.cursor() as cur:
        cur.execute("SELECT app, name FROM django_migrations ORDER BY id")
        migrations = [list(r) for r in cur.fetchall()]
    manifest = Manifest(engine=connection.vendor, created=dt.datetime.now(dt.UTC).isoformat(),
                        tables=table_counts(), migrations=migrations)
    tmp = path.with_name(path.name + ".partial")
    # 0600: the archive holds every password hash and token digest of the installation
    with tempfile.TemporaryDirectory() as work, open_private(tmp, "wb") as raw, \
            zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zf:
        if _is_sqlite():
            copy = Path(work) / "db.sqlite3"
            src = sqlite3.connect(str(connection.settings_dict["NAME"]))
            dst = sqlite3.connect(str(copy))
            try:
                src.backup(dst)
            finally:
                dst.close()
                src.close()
            zf.write(copy, "db.sqlite3")
            manifest.members.append("db.sqlite3")
        if portable or not _is_sqlite():
            buf = io.StringIO()
            _register_serializer()
            with transaction.atomic():  # one snapshot on PostgreSQL
                call_command("dumpdata", "--format", "bilim-json", "--natural-foreign", "--exclude", "contenttypes",
                             "--exclude", "auth.permission", "--exclude", "sessions", "--exclude", "django_tasks_database",
                             stdout=buf)
            zf.writestr("data.json", buf.getvalue())
            manifest.members.append("data.json")
        if _warehouse().exists():
            zf.write(_warehouse(), "warehouse.duckdb")
            manifest.members.append("warehouse.duckdb")
        zf.writestr("manifest.json", json.dumps(manifest.__dict__, indent=1))
    tmp.replace(path)
    return manifest


def read_manifest(path: str | Path) -> Manifest:
    try:
        with zipfile.ZipFile(path) as zf:
            data = json.loads(zf.read("manifest.json"))
    except (OSError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as e:
        raise BackupError(f"{path} is not a Bilim backup: {e}") from e
    if data.get("format") != FORMAT:
        raise BackupError(f"{path}: unknown backup format {data.get('format')!r}")
    return Manifest(**data)


def restore(path: str | Path, force: bool = False) -> Manifest:
    manifest = read_manifest(path)
    if not force and not is_empty():
        raise BackupError("The database already holds data; restore would overwrite it (use --force)")
    with zipfile.ZipFile(path) as zf, tempfile.TemporaryDirectory() as work:
        if _is_sqlite() and "db.sqlite3" in manifest.members:
            src_path = zf.extract("db.sqlite3", work)
            connections.close_all()
            src = sqlite3.connect(src_path)
            dst = sqlite3.connect(str(connection.settings_dict["NAME"]))
            try:
                src.backup(dst)  # replaces every page of the target in one go
            finally:
                dst.close()
                src.close()
        elif "data.json" in manifest.members:
            fixture = Path(zf.extract("data.json", work))
            call_command("migrate", "--noinput", verbosity=0)
            with transaction.atomic():
                if force:
                    call_command("flush", "--noinput", verbosity=0)
                _register_serializer()
                call_command("loaddata", str(fixture), "--format", "bilim-json", verbosity=0)
                _reset_sequences()
        else:
            raise BackupError("This backup holds a SQLite file only; make it with --portable to restore "
                              "into another engine")
        if "warehouse.duckdb" in manifest.members:
            target = _warehouse()
            target.parent.mkdir(parents=True, exist_ok=True)
            extracted = zf.extract("warehouse.duckdb", work)
            shutil.copyfile(extracted, target.with_name(target.name + ".restore"))
            target.with_name(target.name + ".restore").replace(target)
    return manifest


def _register_serializer() -> None:
    from django.core import serializers

    serializers.register_serializer("bilim-json", "bilim.accounts.exactjson")


def _reset_sequences() -> None:
    models = [m for m in apps.get_models(include_auto_created=True)]
    statements = connection.ops.sequence_reset_sql(_NoStyle(), models)
    with connection.cursor() as cur:
        for sql in statements:
            cur.execute(sql)


class _NoStyle:
    def __getattr__(self, name):
        return lambda x: x
