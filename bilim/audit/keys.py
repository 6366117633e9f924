"""The audit key: what makes the audit chain's MACs unforgeable by someone who can only write the database.

Taken from the setting BILIM_AUDIT_KEY (environment variable of the same name) when set, else from
the file BILIM_AUDIT_KEY_FILE (default `<data dir>/audit-key`), created 0600 with a random key on
first use. Keep it out of database backups' reach: whoever holds both the database and the key can
rewrite history. Moving an installation (restore on another machine) means moving the key too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from pathlib import Path

from django.conf import settings

from bilim.config.private import open_private, tighten

_lock = threading.Lock()
_cache: dict[str, bytes] = {}


def key_file() -> Path:
    return Path(getattr(settings, "BILIM_AUDIT_KEY_FILE", "") or Path(settings.DATA_DIR) / "audit-key")


def key() -> bytes:
    """The key as bytes (cached per process and per source)."""
    configured = getattr(settings, "BILIM_AUDIT_KEY", "") or ""
    if configured:
        return configured.encode()
    path = key_file()
    cache_key = str(path)
    with _lock:
        if cache_key not in _cache:
            if not path.exists():
                try:
                    with open_private(path, "x") as f:
                        f.write(secrets.token_hex(32))
                except FileExistsError:  # another process created it first
                    pass
            tighten(path)
            text = path.read_text().strip()
            if len(text) < 32:
                from django.core.exceptions import ImproperlyConfigured

                raise ImproperlyConfigured(f"The audit key in {path} is too short (at least 32 characters)")
            _cache[cache_key] = text.encode()
        return _cache[cache_key]


def mac(text: str) -> str:
    """HMAC-SHA256 of `text` under the audit key, hex."""
    return hmac.new(key(), text.encode(), hashlib.sha256).hexdigest()


def matches(text: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(mac(text), expected)
