"""Accounts: API tokens (issue, check, revoke) and user preferences.

User administration (add, role and scope, deactivate, passwords, tokens for others) is
`bilim.accounts.users`, which checks who may do it and calls the token functions here.
"""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from bilim.audit import services as audit

from .models import ApiToken, User


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


def user_for_token(key: str) -> User | None:
    tok = ApiToken.objects.select_related("user").filter(key_hash=_hash(key), revoked__isnull=True).first()
    if tok is None or not tok.user.is_active:
        return None
    ApiToken.objects.filter(pk=tok.pk).update(last_used=timezone.now())
    return tok.user


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
