"""The sign-in lock holds across worker processes and limits password spraying (issue 11, item 6).

`bilim serve` runs several workers; a lock kept in one worker's memory let the right password through
in another. The counts now live in the database: failures counted by separate Python processes lock
the pair for every process, and one address trying many usernames is stopped too.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _login(client, username, password, ip="10.0.0.1"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_password_spraying_from_one_address_is_stopped(client, settings):
    from bilim.accounts.models import User

    settings.BILIM_LOGIN_MAX_FAILURES_PER_ADDRESS = 6
    User.objects.create_user("last", password="correct-horse-battery", role="district")
    for i in range(6):  # one guess per account: the per-account lock never triggers
        _login(client, f"user{i}", "Summer2026!")
    resp = _login(client, "last", "correct-horse-battery")
    assert resp.status_code == 200 and "_auth_user_id" not in client.session
    resp = _login(client, "last", "correct-horse-battery", ip="10.0.0.9")
    assert resp.status_code == 302


@pytest.mark.django_db
def test_the_lock_is_in_the_database_not_in_a_process_cache(client, settings):
    from django.core.cache import cache

    from bilim.accounts import backends
    from bilim.accounts.models import LoginThrottle, User

    User.objects.create_user("aliya", password="correct-horse-battery", role="district")
    for _ in range(5):
        _login(client, "aliya", "wrong")
    cache.clear()  # another worker has an empty memory cache
    assert LoginThrottle.objects.get(key=backends._key("aliya", "10.0.0.1")).failures == 5
    assert _login(client, "aliya", "correct-horse-battery").status_code == 200
    assert "_auth_user_id" not in client.session


SCRIPT = textwrap.dedent("""
    import sys
    import django
    django.setup()
    from django.db import connection
    from bilim.accounts import backends
    from bilim.accounts.models import LoginThrottle
    if sys.argv[1] == "create":
        with connection.schema_editor() as editor:
            editor.create_model(LoginThrottle)
    elif sys.argv[1] == "fail":
        print(backends.note_failure("aliya", "10.1.1.1"))
    else:
        print("locked" if backends.is_locked("aliya", "10.1.1.1") else "open")
""")


def test_failures_counted_by_separate_processes_lock_every_process(tmp_path):
    """Five processes (like five workers), one failed password each; a sixth process sees the lock."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env.update({"BILIM_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "bilim.config.settings",
                "PYTHONPATH": str(ROOT)})

    def run(arg: str) -> str:
        out = subprocess.run([sys.executable, "-c", SCRIPT, arg], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    run("create")
    assert run("check") == "open"
    counts = [run("fail") for _ in range(5)]
    assert counts == ["1", "2", "3", "4", "5"]
    assert run("check") == "locked"
