"""Sign-in throttling, argon2 hashing, and a clean `check --deploy` with production settings."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def person(db):
    from bilim.accounts.models import User

    return User.objects.create_user("aliya", password="correct-horse-battery", role="district")


def _login(client, password, ip="10.0.0.1"):
    return client.post("/accounts/login/", {"username": "aliya", "password": password}, REMOTE_ADDR=ip)


def test_password_is_hashed_with_argon2(person):
    assert person.password.startswith("argon2$")


def test_five_failures_lock_the_account_even_for_the_right_password(client, person):
    for _ in range(5):
        assert _login(client, "wrong").status_code == 200  # form redisplayed
    resp = _login(client, "correct-horse-battery")
    assert resp.status_code == 200 and "_auth_user_id" not in client.session


def test_other_address_is_not_locked(client, person):
    for _ in range(5):
        _login(client, "wrong")
    resp = _login(client, "correct-horse-battery", ip="10.0.0.2")
    assert resp.status_code == 302 and client.session["_auth_user_id"] == str(person.pk)


def test_success_resets_the_counter(client, person):
    from django.test import Client

    for _ in range(4):
        _login(client, "wrong")
    assert _login(client, "correct-horse-battery").status_code == 302
    c2 = Client()
    for _ in range(4):
        _login(c2, "wrong")
    assert _login(c2, "correct-horse-battery").status_code == 302


def test_lock_expires(client, person, settings):
    import datetime as dt

    from bilim.accounts import backends
    from bilim.accounts.models import LoginThrottle

    settings.BILIM_LOGIN_LOCK_SECONDS = 60
    for _ in range(5):
        _login(client, "wrong")
    assert backends.is_locked("aliya", "10.0.0.1")
    # what the passing of the lock period does: the last failure is now 61 s old
    LoginThrottle.objects.update(last_failure=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=61))
    assert _login(client, "correct-horse-battery").status_code == 302


def test_login_form_is_csrf_protected(person):
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    resp = c.post("/accounts/login/", {"username": "aliya", "password": "correct-horse-battery"})
    assert resp.status_code == 403


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = os.environ | {"BILIM_DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(64), "ALLOWED_HOSTS": "example.org",
                        "BILIM_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "bilim.config.settings"}
    env.pop("DATABASE_URL", None)
    out = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues" in out.stdout
