"""Sign-in with throttling: after N failed passwords for one username from one address, lock it for a while.

Counted in the cache (per process with the default LocMem cache; use a shared cache when running
several workers). A locked pair is refused even with the right password, so guessing cannot go on.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied


def max_failures() -> int:
    return getattr(settings, "BILIM_LOGIN_MAX_FAILURES", 5)


def lock_seconds() -> int:
    return getattr(settings, "BILIM_LOGIN_LOCK_SECONDS", 900)


def client_ip(request) -> str:
    if request is None:
        return "-"
    return request.META.get("REMOTE_ADDR", "-")


def _key(username: str, ip: str) -> str:
    import hashlib

    return "bilim-login:" + hashlib.sha256(f"{(username or '').lower()}|{ip}".encode()).hexdigest()


def is_locked(username: str, ip: str) -> bool:
    return cache.get(_key(username, ip), 0) >= max_failures()


def note_failure(username: str, ip: str) -> int:
    key = _key(username, ip)
    if cache.add(key, 1, lock_seconds()):
        return 1
    try:
        n = cache.incr(key)
    except ValueError:
        cache.set(key, 1, lock_seconds())
        n = 1
    if n >= max_failures():
        cache.touch(key, lock_seconds())  # the lock runs from the last failure
    return n


def reset(username: str, ip: str) -> None:
    cache.delete(_key(username, ip))


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
