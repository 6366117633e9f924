"""Indicator pages stay up (and say why) before the analytics warehouse has been built."""

from __future__ import annotations

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/", "/compare/", "/equity/", "/ou/KZ-63/"])
def test_pages_explain_a_missing_warehouse(admin_client, mini_registry, tmp_path, url):
    with override_settings(BILIM_WAREHOUSE_PATH=tmp_path / "none.duckdb"):
        resp = admin_client.get(url)
    assert resp.status_code == 200
    assert "analytics refresh" in resp.content.decode()


def test_mode_parameter_is_checked(rf):
    from bilim.web.analytics_bridge import mode_params

    assert mode_params(rf.get("/?mode=historical"))[0] == "historical"
    assert mode_params(rf.get("/?mode=bogus&as_of=2020-01-01")) == ("current", __import__("datetime").date(2020, 1, 1))
    assert mode_params(rf.get("/?as_of=nonsense")) == ("current", None)
