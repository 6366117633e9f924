"""The small synthetic demo, refreshed into a warehouse file under tmp, once per test module.

The demo is built inside a transaction rolled back after the module (as in tests/demo); the refresh
reads through the same connection, so it sees the uncommitted demo. Settings point the warehouse at
a temporary file for the whole module.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test.utils import override_settings

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


@pytest.fixture(scope="module")
def warehouse(request, small_demo, django_db_blocker, tmp_path_factory):
    """Path of a warehouse built from the small demo; settings point at it during the module.

    With the indicator cube, as in production, unless the module sets ``WAREHOUSE_CUBE = False``:
    modules about the engine's own semantics skip its build (seconds each); that the cube gives the
    engine's answers is tested cell by cell in test_cube.py."""
    from bilim.analytics.refresh import refresh

    path = tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb"
    with override_settings(BILIM_WAREHOUSE_PATH=path, BILIM_CUBE=getattr(request.module, "WAREHOUSE_CUBE", True)):
        with django_db_blocker.unblock():
            report = refresh(full=True)
        assert report.fact_rows > 0
        yield path
