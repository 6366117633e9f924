"""`bilim indicators`: every output names its mode; bad codes and periods are clear errors."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db
WAREHOUSE_CUBE = False  # engine semantics; the cube is compared with the engine in test_cube.py


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("indicators", *args, stdout=out)
    return out.getvalue()


def test_table_defaults_to_kz_and_the_latest_school_year(warehouse):
    text = run("--indicator", "GER_ISCED1")
    assert "KZ" in text and "2024S" in text
    assert text.strip().splitlines()[-1].startswith("Mode: current")


def test_csv_has_a_mode_column(warehouse):
    text = run("--indicator", "GER_ISCED1,PTR_ISCED1", "--level", "region", "--period", "2020S,2024S",
               "--mode", "historical", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["mode"] for r in rows} == {"historical"}
    assert {r["period"] for r in rows} == {"2020S", "2024S"}
    assert "KZ-10" in {r["ou_code"] for r in rows if r["period"] == "2024S"}
    assert "KZ-10" not in {r["ou_code"] for r in rows if r["period"] == "2020S"}


def test_json_has_a_mode_field_and_split(warehouse):
    body = json.loads(run("--indicator", "GER_ISCED1", "--ou", "KZ-63", "--period", "2021S", "--by", "SEX",
                          "--mode", "current", "--as-of", "2025-01-01", "--format", "json"))
    assert body["mode"] == "current" and body["as_of"] == "2025-01-01"
    assert {r["sex"] for r in body["rows"]} == {"F", "M"}


def test_within_and_explain(warehouse):
    text = run("--indicator", "GER_ISCED1", "--level", "district", "--within", "KZ-10", "--period", "2024S",
               "--explain")
    assert "KZ-63-012" in text and "Contributions" in text and "Mode: current" in text
    body = json.loads(run("--indicator", "GER_ISCED1", "--ou", "KZ-63", "--period", "2021S", "--mode", "historical",
                          "--explain", "--format", "json"))
    num = sum(r["value"] for r in body["explain"] if r["part"] == "numerator")
    assert num == pytest.approx(body["rows"][0]["numerator"])


@pytest.mark.parametrize("args, bad", [
    (["--indicator", "GER_ISCED1,NOPE"], "NOPE"),
    (["--indicator", "GER_ISCED1", "--period", "2031S"], "2031S"),
    (["--indicator", "GER_ISCED1", "--period", "2024X"], "2024X"),
    (["--indicator", "GER_ISCED1", "--ou", "KZ-99"], "KZ-99"),
    (["--indicator", "GER_ISCED1", "--as-of", "yesterday"], "yesterday"),
])
def test_errors_name_the_bad_value(warehouse, args, bad):
    with pytest.raises(CommandError, match=bad):
        run(*args)


def test_missing_warehouse_is_a_command_error(tmp_path, settings):
    settings.BILIM_WAREHOUSE_PATH = tmp_path / "none.duckdb"
    with pytest.raises(CommandError, match="refresh"):
        run("--indicator", "GER_ISCED1")
