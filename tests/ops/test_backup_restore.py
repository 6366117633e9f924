"""`bilim backup` / `bilim restore`: a full round trip, compared table by table and through analytics."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BILIM = [sys.executable, "-m", "bilim.cli"]


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "BILIM_WAREHOUSE")}
    return env | {"BILIM_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "bilim.config.settings"}


def bilim(data_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    out = subprocess.run([*BILIM, *args], cwd=ROOT, env=_env(data_dir), capture_output=True, text=True, timeout=600)
    if check:
        assert out.returncode == 0, out.stdout + out.stderr
    return out


def dump_tables(db: Path) -> dict[str, list[tuple]]:
    con = sqlite3.connect(str(db))
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                            "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {t: sorted(con.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}
    finally:
        con.close()


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    src = tmp_path_factory.mktemp("source")
    bilim(src, "migrate", "--noinput", "-v0")
    bilim(src, "demo", "--scale", "small")
    bilim(src, "analytics", "refresh")
    return src


INDICATOR = ["indicators", "--indicator", "GER_ISCED1,PTR_ISCED1", "--level", "region", "--format", "json"]


@pytest.mark.slow
def test_round_trip_restores_every_table_and_the_same_analytics(source, tmp_path):
    archive = tmp_path / "bilim.zip"
    out = bilim(source, "backup", str(archive))
    assert "Backup written" in out.stdout
    target = tmp_path / "target"
    target.mkdir()
    # the audit key is not in the archive (whoever holds both could rewrite history): the operator moves it
    shutil.copy2(source / "audit-key", target / "audit-key")
    bilim(target, "restore", str(archive))

    a, b = dump_tables(source / "bilim.sqlite3"), dump_tables(target / "bilim.sqlite3")
    assert a.keys() == b.keys()
    for table in a:
        assert a[table] == b[table], f"table {table} differs after restore"
    assert sum(len(rows) for rows in a.values()) > 10_000

    before = json.loads(bilim(source, *INDICATOR).stdout)
    after = json.loads(bilim(target, *INDICATOR).stdout)
    assert before and before == after
    assert "audit chain OK" in bilim(target, "audit", "verify").stdout


@pytest.mark.slow
def test_restore_refuses_a_database_with_data(source, tmp_path):
    archive = tmp_path / "bilim.zip"
    bilim(source, "backup", str(archive))
    out = bilim(source, "restore", str(archive), check=False)
    assert out.returncode != 0 and "--force" in out.stderr
    assert bilim(source, "restore", str(archive), "--force").returncode == 0


def test_not_a_backup_is_refused(tmp_path):
    bogus = tmp_path / "x.zip"
    bogus.write_text("hello")
    out = bilim(tmp_path, "restore", str(bogus), check=False)
    assert out.returncode != 0 and "not a Bilim backup" in out.stderr


@pytest.mark.django_db(transaction=True)
def test_portable_json_round_trip_in_process(mini_registry, tmp_path, settings):
    """The JSON path (the one PostgreSQL uses): dump, wipe, restore, and every table is equal."""
    from django.db import connection

    from bilim.accounts import backup as bk
    from bilim.accounts.models import User
    from bilim.audit import services as audit

    settings.BILIM_WAREHOUSE_PATH = tmp_path / "none.duckdb"
    User.objects.create_user("aliya", password="a-long-test-password", role="district",
                             scope=mini_registry["district"])
    audit.record("aliya", "test.change", "Thing", 1, {"v": 1}, {"v": 2})

    from django.apps import apps

    # Django's serializer stores many-to-many links on their owner, so the surrogate id of an
    # auto-created link table is renumbered on load; the links themselves must be equal.
    link_tables = {f.remote_field.through._meta.db_table: [c.column for c in f.remote_field.through._meta.fields
                                                            if c.column != "id"]
                   for m in apps.get_models() for f in m._meta.local_many_to_many
                   if f.remote_field.through._meta.auto_created}

    def snapshot():
        out = {}
        with connection.cursor() as cur:
            for t in sorted(connection.introspection.table_names()):
                if t in bk.BOOKKEEPING:
                    continue
                cols = ", ".join(link_tables[t]) if t in link_tables else "*"
                cur.execute(f"SELECT {cols} FROM {connection.ops.quote_name(t)}")
                out[t] = sorted(cur.fetchall(), key=repr)
        return out

    before = snapshot()
    archive = tmp_path / "b.zip"
    manifest = bk.backup(archive, portable=True)
    assert "data.json" in manifest.members
    with pytest.raises(bk.BackupError):
        bk.restore(archive)
    from django.core.management import call_command

    call_command("flush", "--noinput", verbosity=0)
    assert bk.is_empty()
    if connection.vendor == "sqlite":
        # force the JSON path even on SQLite
        manifest.members.remove("db.sqlite3")
        import zipfile

        with zipfile.ZipFile(archive) as zf, zipfile.ZipFile(tmp_path / "j.zip", "w") as out:
            out.writestr("data.json", zf.read("data.json"))
            out.writestr("manifest.json", json.dumps(manifest.__dict__))
        archive = tmp_path / "j.zip"
    bk.restore(archive)
    assert snapshot() == before
    assert audit.verify().ok
    # sequences continue after the restored ids
    u = User.objects.create_user("new", password="a-long-test-password")
    assert u.pk > User.objects.get(username="aliya").pk
