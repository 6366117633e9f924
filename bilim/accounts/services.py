"""Accounts: API tokens (issue, check, revoke) and user preferences.

User administration (add, role and scope, deactivate, passwords, tokens for others) is
`bilim.accounts.users`, which checks who may do it and calls the token functions here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, connections, router, transaction
from django.db.models import Q
from django.utils import timezone

from bilim.audit import services as audit

from .models import ApiToken, User

log = logging.getLogger(__name__)
_pending = threading.local()  # token pk -> time of use, written once the response has gone


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def issue_token(user: User, name: str = "", actor: str = "") -> str:
    """Create a token for `user`; returns the key, which is not stored and cannot be shown again."""
    key = "bil_" + secrets.token_urlsafe(32)
    tok = ApiToken.objects.create(user=user, name=name, prefix=key[4:12], key_hash=_hash(key))
    audit.record(actor or user.username, "accounts.token_issue", "ApiToken", tok.pk, None,
                 {"user": user.username, "name": name, "prefix": tok.prefix})
    return key


def touch_seconds() -> int:
    return getattr(settings, "BILIM_TOKEN_TOUCH_SECONDS", 60)


def user_for_token(key: str) -> User | None:
    """The active user of an unrevoked token, or None. Reads only.

    `last_used` is written at most once per `BILIM_TOKEN_TOUCH_SECONDS` (default 60) per token, and
    after the response (`touch_used_tokens` on `request_finished`), without waiting for the database's
    write lock: a token GET must not queue behind an import, nor fail when a writer holds the lock.
    """
    tok = ApiToken.objects.select_related("user").filter(key_hash=_hash(key), revoked__isnull=True).first()
    if tok is None or not tok.user.is_active:
        return None
    now = timezone.now()
    if tok.last_used is None or tok.last_used <= now - dt.timedelta(seconds=touch_seconds()):
        if not hasattr(_pending, "used"):
            _pending.used = {}
        _pending.used[tok.pk] = now
    return tok.user


@contextmanager
def _without_waiting(alias: str) -> Iterator[None]:
    """Fail at once instead of waiting when another connection holds the lock (SQLite, PostgreSQL)."""
    conn = connections[alias]
    if conn.vendor == "sqlite":
        with conn.cursor() as c:
            c.execute("PRAGMA busy_timeout")
            before = int(c.fetchone()[0])
            c.execute("PRAGMA busy_timeout = 0")
        try:
            yield
        finally:
            with conn.cursor() as c:
                c.execute(f"PRAGMA busy_timeout = {before}")
    elif conn.vendor == "postgresql":
        with transaction.atomic(using=alias):
            with conn.cursor() as c:
                c.execute("SET LOCAL lock_timeout = '200ms'")
            yield
    else:
        yield


def touch_used_tokens(**_signal: object) -> None:
    """Write `last_used` of the tokens this thread's request used (a `request_finished` receiver).

    Best effort: when the database is busy the write is skipped; a later request retries it.
    """
    used = getattr(_pending, "used", None)
    if not used:
        return
    _pending.used = {}
    alias = router.db_for_write(ApiToken)
    for pk, at in used.items():
        stale = Q(last_used__isnull=True) | Q(last_used__lt=at - dt.timedelta(seconds=touch_seconds()))
        try:
            with _without_waiting(alias):
                ApiToken.objects.filter(stale, pk=pk).update(last_used=at)
        except DatabaseError as e:
            log.info("token %s: last_used not written (%s)", pk, e)


@transaction.atomic
def revoke_token(token: ApiToken, actor: str) -> None:
    """Revoke `token`; `actor` (who did it) is required: an anonymous revocation is no audit trail."""
    if not actor:
        raise ValueError("revoke_token needs the actor who revokes the token")
    token.revoked = timezone.now()
    token.save(update_fields=["revoked"])
    audit.record(actor, "accounts.token_revoke", "ApiToken", token.pk, None,
                 {"user": token.user.username, "name": token.name, "prefix": token.prefix})


@transaction.atomic
def set_language(user: User, language: str) -> None:
    if language not in ("kk", "ru", "en"):
        raise ValueError(f"Unknown language {language!r}; expected kk, ru or en")
    before = user.language
    user.language = language
    user.save(update_fields=["language"])
    audit.record(user.username, "accounts.language", "User", user.username, {"language": before}, {"language": language})
