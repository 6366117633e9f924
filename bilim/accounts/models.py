"""Users with a role and a scope (a subtree of the hierarchy) — the basis of every permission check."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    MINISTRY = "ministry", _("Ministry analyst")
    REGION = "region", _("Region department")
    DISTRICT = "district", _("District office")
    ORGANIZATION = "organization", _("Organization")
    SECRETARIAT = "secretariat", _("Collegium secretariat")
    PUBLIC = "public", _("Public read-only")


class User(AbstractUser):
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PUBLIC)
    scope = models.ForeignKey(
        "registry.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("Root of the subtree this user may see and change; empty means the whole republic."),
    )
    language = models.CharField(max_length=2, blank=True, help_text=_("Preferred interface language"))


class ApiToken(models.Model):
    """A revocable API token. Only its SHA-256 is stored; the key is shown once, at creation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user.username}{', revoked' if self.revoked else ''})"


class LoginThrottle(models.Model):
    """Failed sign-ins per (username, address) and per address, shared by every worker process.

    In the database rather than a per-process cache: `bilim serve` runs several workers, and a lock
    kept in one worker's memory let the right password through in another. `key` is a SHA-256, so
    neither usernames nor addresses are stored. Counters are not audited: they are not records of
    the education system, and rows older than the lock period are deleted as new ones come.
    """

    key = models.CharField(max_length=64, primary_key=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key[:8]}… {self.failures} failure(s), last {self.last_failure.isoformat()}"
