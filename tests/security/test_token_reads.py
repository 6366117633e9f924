"""Token reads do not write (issue 11, item 8).

`user_for_token` wrote `last_used` on every request, so token GETs queued behind imports for the
SQLite write lock and answered 500 after 30 s. Now the write happens at most once a minute per token,
after the response, and is skipped when the database is busy.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import OperationalError
from django.db.models import QuerySet
from django.test import Client
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


@pytest.fixture
def token_client(mini_registry):
    from bilim.accounts.models import User
    from bilim.accounts.services import issue_token

    user = User.objects.create_user("reader", password="a-long-test-password", role="ministry")
    return Client(HTTP_AUTHORIZATION="Bearer " + issue_token(user, "t"))


def _token_writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "accounts_apitoken" in q["sql"]]


def test_last_used_is_written_once_a_minute(token_client):
    from django.db import connection

    from bilim.accounts.models import ApiToken

    with CaptureQueriesContext(connection) as first:
        assert token_client.get("/api/v1/orgunits/KZ-63").status_code == 200
    assert len(_token_writes(first.captured_queries)) == 1
    used = ApiToken.objects.get().last_used
    assert used is not None
    with CaptureQueriesContext(connection) as later:
        for _ in range(5):
            assert token_client.get("/api/v1/orgunits/KZ-63").status_code == 200
    assert _token_writes(later.captured_queries) == []
    assert ApiToken.objects.get().last_used == used
    ApiToken.objects.update(last_used=used - dt.timedelta(seconds=61))
    with CaptureQueriesContext(connection) as after_a_minute:
        token_client.get("/api/v1/orgunits/KZ-63")
    assert len(_token_writes(after_a_minute.captured_queries)) == 1


def test_a_read_while_the_database_is_locked_is_answered(token_client, monkeypatch):
    """A writer holds the lock: the token's write fails, the read is still answered (200, not 500)."""
    from bilim.accounts.models import ApiToken

    real_update = QuerySet.update

    def locked(self, **kwargs):
        if self.model is ApiToken:
            raise OperationalError("database is locked")
        return real_update(self, **kwargs)

    monkeypatch.setattr(QuerySet, "update", locked)
    resp = token_client.get("/api/v1/orgunits/KZ-63")
    assert resp.status_code == 200 and resp.json()["code"] == "KZ-63"
    assert ApiToken.objects.get().last_used is None  # retried by a later request

