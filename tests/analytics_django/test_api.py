"""The analytics API (/api/v1/analytics) on the small demo's warehouse."""

from __future__ import annotations

import csv
import io

import pytest
from django.test.utils import override_settings

pytestmark = pytest.mark.django_db

URL = "/api/v1/analytics"


def _get(client, path, **params):
    return client.get(path, params)


def test_dhis2_style_table(admin_client, warehouse):
    r = _get(admin_client, URL, dx="GER_ISCED1;PTR_ISCED1", pe="2023S;2024S", ou="KZ;LEVEL-region", by="SEX",
             mode="historical")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["mode"] == "historical" and body["as_of"] is None
    assert [h["name"] for h in body["headers"]] == ["dx", "pe", "ou", "sex", "value", "numerator", "denominator"]
    dims = body["metaData"]["dimensions"]
    assert dims["dx"] == ["GER_ISCED1", "PTR_ISCED1"] and dims["pe"] == ["2023S", "2024S"]
    assert "KZ-10" in dims["ou"] and "KZ" not in dims["ou"]  # KZ is the boundary, as in DHIS2
    assert all(body["metaData"]["items"][c]["name"] for c in dims["ou"] + dims["dx"] + dims["pe"])
    rows = body["rows"]
    assert {r[0] for r in rows} == {"GER_ISCED1"}  # PTR is not split by SEX
    assert {r[3] for r in rows} == {"F", "M"}
    assert all(r[4] == pytest.approx(100 * r[5] / r[6]) for r in rows)


def test_modes_differ_through_the_api(admin_client, warehouse):
    def num(mode):
        extra = {"as_of": "2025-01-01"} if mode == "current" else {}
        body = _get(admin_client, URL, dx="GER_ISCED1", pe="2020S", ou="KZ-63", mode=mode, **extra).json()
        assert body["mode"] == mode
        return body["rows"][0][4]

    assert num("historical") > num("current")


def test_children_and_codes(admin_client, warehouse):
    body = _get(admin_client, URL, dx="GER_ISCED1", pe="2020S;2024S", ou="KZ-63;CHILDREN-KZ-63",
                mode="historical").json()
    by_period = {}
    for _dx, pe, ou, *_ in body["rows"]:
        by_period.setdefault(pe, set()).add(ou)
    assert "KZ-63-012" in by_period["2020S"] and "KZ-63-012" not in by_period["2024S"]
    assert "KZ-63" in by_period["2020S"]


def test_csv(admin_client, warehouse):
    r = _get(admin_client, URL, dx="GER_ISCED1", pe="2024S", ou="LEVEL-region", format="csv", mode="current")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode())))
    assert rows and set(rows[0]) >= {"dx", "pe", "ou", "value", "numerator", "denominator", "mode"}
    assert {row["mode"] for row in rows} == {"current"}


@pytest.mark.parametrize("params, words", [
    ({"dx": "NOPE"}, "NOPE"),
    ({"dx": "GER_ISCED1", "pe": "2031S"}, "2031S"),
    ({"dx": "GER_ISCED1", "pe": "20x"}, "20x"),
    ({"dx": "GER_ISCED1", "ou": "KZ-99"}, "KZ-99"),
    ({"dx": "GER_ISCED1", "ou": "LEVEL-planet"}, "planet"),
    ({"dx": "GER_ISCED1", "mode": "sometimes"}, "mode"),
    ({"dx": "GER_ISCED1", "by": "AGE"}, "by"),
    ({"dx": "GER_ISCED1", "mode": "historical", "as_of": "2024-01-01"}, "as_of"),
])
def test_bad_parameters_are_400_json(admin_client, warehouse, params, words):
    r = _get(admin_client, URL, **params)
    assert r.status_code == 400, r.content
    body = r.json()
    assert body["code"] == "bad_request" and words in body["message"]


def test_warehouse_missing_is_503(admin_client, tmp_path):
    with override_settings(BILIM_WAREHOUSE_PATH=tmp_path / "none.duckdb"):
        for path in (URL + "?dx=GER_ISCED1", URL + "/explain?dx=GER_ISCED1&pe=2024S",
                     URL + "/equity?dx=EXP_PER_PUPIL&ou=KZ-19&pe=2024S"):
            r = admin_client.get(path)
            assert r.status_code == 503 and r.json()["code"] == "warehouse_missing"


def test_requires_authentication(client, warehouse):
    assert client.get(URL + "?dx=GER_ISCED1").status_code == 401


def test_explain_parts_add_up(admin_client, warehouse):
    body = _get(admin_client, URL + "/explain", dx="GER_ISCED1", ou="KZ-63", pe="2021S", mode="historical").json()
    assert body["mode"] == "historical"
    num, den = body["parts"]["numerator"], body["parts"]["denominator"]
    assert num["total"] == pytest.approx(body["numerator"])
    assert sum(c["value"] for c in num["contributions"]) == pytest.approx(body["numerator"])
    assert den["total"] == pytest.approx(body["denominator"])
    assert {c["period"] for c in den["contributions"]} == {"2021"}  # POP is by calendar year
    assert any(c["ou_code"].startswith("KZ-63-012") or c["kind"] == "organization" for c in num["contributions"])


def test_catalogue(admin_client):
    body = admin_client.get(URL + "/indicators").json()
    ger = next(i for i in body["indicators"] if i["code"] == "GER_ISCED1")
    assert set(ger["name"]) == {"en", "ru", "kk"} and ger["unit"] == "%" and ger["direction"] == 1
    assert {p["code"] for p in body["parity"]} == {"GPI", "GPIA", "LPIA"}


def test_parity(admin_client, warehouse):
    body = _get(admin_client, URL + "/parity", dx="GER_ISCED1", ou="LEVEL-region", pe="2024S",
                index="GPI").json()
    assert body["index"] == "GPI" and body["rows"]
    row = body["rows"][0]
    assert row["value"] == pytest.approx(row["value_a"] / row["value_b"])


def test_equity(admin_client, warehouse):
    body = _get(admin_client, URL + "/equity", dx="EXP_PER_PUPIL", ou="KZ-19", pe="2024S", orgs="true").json()
    measures = {r["measure"]: r["value"] for r in body["rows"]}
    assert {"GINI", "CV", "MCLOONE", "THEIL_T"} <= set(measures)
    assert 0 <= measures["GINI"] < 1
    assert body["organizations"]["KZ-19"]


def test_composite(admin_client, warehouse):
    r = _get(admin_client, URL + "/composite", dx="GER_ISCED1;PTR_ISCED1;EXP_PER_PUPIL", pe="2024S",
             norm="zscore", agg="geometric", weights="1;2;1", draws="100")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["weights"] == [1.0, 2.0, 1.0] and body["directions"] == [1, -1, 1]
    ranks = [row["rank"] for row in body["rows"]]
    assert ranks == sorted(ranks) and ranks[0] == 1
    assert all(row["rank_p05"] <= row["median_rank"] <= row["rank_p95"] for row in body["rows"])
    bad = _get(admin_client, URL + "/composite", dx="GER_ISCED1;PTR_ISCED1", pe="2024S", weights="1")
    assert bad.status_code == 400 and "weight" in bad.json()["message"]


def test_concurrent_queries_do_not_share_a_duckdb_connection(warehouse):
    """Found by schemathesis with two workers: on the threaded server, concurrent analytics requests
    ran on one shared DuckDB connection and failed with a 500 ("Attempting to execute an unsuccessful
    or closed pending query result") or hung. Each thread now has its own cursor on the snapshot."""
    import datetime as dt
    import threading

    from bilim.analytics import service

    errors: list[str] = []
    handles: list[object] = []

    def work(i: int) -> None:
        try:
            handles.append(service.connect())
            for j in range(2):
                res = service.indicators(["GER_ISCED1", "PTR_ISCED1"], ["2023S", "2024S"], level="region", by="SEX",
                                         as_of=dt.date(2024, 1, 1 + i + 10 * j), cache=False)
                assert not res.empty
                assert service.unit_names(["KZ"])["KZ"]["kind"] == "republic"
        except Exception as e:  # noqa: BLE001 - collected for the assertion below
            errors.append(repr(e))

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "concurrent analytics queries hung"
    assert errors == []
    assert len({id(h) for h in handles}) == len(threads)
    assert service.connect() is service.connect()
