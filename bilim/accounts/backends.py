"""Sign-in with throttling, held in the database so that every worker process sees the same counts.

Two counters, both with `BILIM_LOGIN_LOCK_SECONDS` (default 900) as their window:
* one username from one address: after `BILIM_LOGIN_MAX_FAILURES` (default 5) failed passwords the
  pair is locked — even the right password is refused, so guessing cannot go on;
* one address, whatever the username: after `BILIM_LOGIN_MAX_FAILURES_PER_ADDRESS` (default 30) the
  address may not sign in at all, which limits password spraying (one password, many accounts).
A counter starts again after a quiet period of the window; a lock runs from the last failure. A
successful sign-in clears its (username, address) counter, not the address's.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from .models import LoginThrottle


def max_failures() -> int:
    return getattr(settings, "BILIM_LOGIN_MAX_FAILURES", 5)


def max_failures_per_address() -> int:
    return getattr(settings, "BILIM_LOGIN_MAX_FAILURES_PER_ADDRESS", 30)


def lock_seconds() -> int:
    return getattr(settings, "BILIM_LOGIN_LOCK_SECONDS", 900)


def client_ip(request) -> str:
    if request is None:
        return "-"
    return request.META.get("REMOTE_ADDR", "-")


def _key(username: str, ip: str) -> str:
    return hashlib.sha256(f"{(username or '').lower()}|{ip}".encode()).hexdigest()


def _address_key(ip: str) -> str:
    return hashlib.sha256(f"address|{ip}".encode()).hexdigest()


def _cutoff() -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=lock_seconds())


def _failures(key: str) -> int:
    """Failures counted under `key` within the window (0 once it has been quiet for the window)."""
    row = LoginThrottle.objects.filter(key=key, last_failure__gte=_cutoff()).values_list("failures", flat=True)
    return next(iter(row), 0)


def is_locked(username: str, ip: str) -> bool:
    """Whether a sign-in as `username` from `ip` is refused without looking at the password."""
    return (_failures(_key(username, ip)) >= max_failures()
            or _failures(_address_key(ip)) >= max_failures_per_address())


def _count(key: str) -> int:
    """Add one failure under `key` in one UPDATE (atomic across processes); the new count."""
    now, cutoff = timezone.now(), _cutoff()
    bump = {"failures": Case(When(last_failure__lt=cutoff, then=Value(1)), default=F("failures") + 1),
            "last_failure": now}
    with transaction.atomic():
        if not LoginThrottle.objects.filter(key=key).update(**bump):
            try:
                with transaction.atomic():
                    LoginThrottle.objects.create(key=key, failures=1, last_failure=now)
                LoginThrottle.objects.filter(last_failure__lt=cutoff).delete()  # old counters
            except IntegrityError:  # another process created it meanwhile
                LoginThrottle.objects.filter(key=key).update(**bump)
        return LoginThrottle.objects.get(key=key).failures


def note_failure(username: str, ip: str) -> int:
    """Count a failed password for (username, ip) and for ip; the (username, ip) count."""
    _count(_address_key(ip))
    return _count(_key(username, ip))


def reset(username: str, ip: str) -> None:
    LoginThrottle.objects.filter(key=_key(username, ip)).delete()


class ThrottledModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(self._username_field(), "")
        ip = client_ip(request)
        if is_locked(username, ip):
            # PermissionDenied stops Django trying other backends; the form shows the generic error.
            raise PermissionDenied("Too many failed sign-ins; try again later")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            note_failure(username, ip)
        else:
            reset(username, ip)
        return user

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD
