"""The small synthetic demo, built once per test module inside a transaction that is rolled back after it.

Each test still runs in its own savepoint (pytest-django), so tests cannot disturb one another, and
no demo data leak into other modules.
"""

from __future__ import annotations

import pytest
from django.db import transaction

SEED = 2026


@pytest.fixture(scope="module")
def small_demo(django_db_setup, django_db_blocker):
    from bilim.demo.services import build_demo

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_demo("small", seed=SEED)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
