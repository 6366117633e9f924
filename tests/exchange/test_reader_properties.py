"""Property tests: whatever bytes arrive, the import answers with clear errors, never a crash."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from bilim.collection.models import DataValue
from bilim.collection.validation import RowError
from bilim.exchange import readers
from bilim.exchange.services import import_file

pytestmark = pytest.mark.django_db

PROPS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])
COLUMNS = ["dataElement", "period", "orgUnit", "value", "SEX", "AGE", "GRADE", "QUAL", "EXP", "LANG", "comment"]


def assert_clear(report) -> None:
    for e in report.errors:
        assert isinstance(e, RowError)
        assert (isinstance(e.line, int) and e.line >= 1) or (isinstance(e.line, str) and e.line)
        assert isinstance(e.reason, str) and len(e.reason.strip()) > 5
        assert str(e)
    if report.errors:
        assert report.created == report.updated == 0


def read_directly(data: bytes) -> None:
    """Each reader either returns rows or raises ExchangeError — nothing else."""
    for reader in (readers.read_values_csv, readers.read_table_xlsx, readers.read_adx,
                   lambda d: readers.read_dhis2_json(d, {"F": ["SEX"], "G01": ["GRADE"]}),
                   lambda d: readers.read_table_csv(readers.decode_utf8(d))):
        try:
            reader(data)
        except readers.ExchangeError as e:
            assert e.errors and all(isinstance(x, RowError) and x.reason for x in e.errors)


@PROPS
@given(st.binary(max_size=600))
@example(b"")
@example(b"\xef\xbb\xbf")
@example(b"\xef\xbb\xbfdataElement,period,orgUnit,value\n")
@example(b"PK\x03\x04garbage")
@example(b"<adx><group")
@example(b'{"dataValues": [1, "x", null, {"value": true}]}')
@example(b"<!DOCTYPE lolz [<!ENTITY lol 'lol'>]><adx/>")
@example("dataElement,period,orgUnit,value\nENROL,2024S,S1,1\n".encode("utf-16"))
@example(b"dataElement,period,orgUnit,value\n\x00\x00\n")
@example(b'dataElement,period,orgUnit,value\n"unclosed,2024S,S1,1\n')
def test_random_bytes(world, data):
    report = import_file(data)
    assert_clear(report)
    read_directly(data)
    assert not DataValue.objects.exists() or report.ok


cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["ENROL", "2024S", "S1", "F", "G01", "A07", "", "NaN", "inf", "-inf", "1e309", "1" * 400,
                     "1,5", "0x10", " 12 ", "2024-09-01/P1Y", "﻿", "\"", "\r", "\n", ",", "KZ-11"]),
    st.integers(min_value=-10**30, max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


@PROPS
@given(header=st.lists(st.sampled_from(COLUMNS + ["junk", "", "Value", "sex"]), min_size=0, max_size=8),
       rows=st.lists(st.lists(cell, min_size=0, max_size=9), max_size=8),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1251", "utf-16", "latin-1"]),
       newline=st.sampled_from(["\n", "\r\n", "\r"]))
def test_structured_garbage_csv(world, header, rows, encoding, newline):
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=newline)
    w.writerow(header)
    w.writerows(rows)
    try:
        data = buf.getvalue().encode(encoding)
    except UnicodeEncodeError:
        assume(False)
    report = import_file(data, format="csv")
    assert_clear(report)
    try:
        readers.read_values_csv(data)
    except readers.ExchangeError:
        pass


@PROPS
@given(values=st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr),
                                 st.integers(min_value=-10**400, max_value=10**400).map(str),
                                 st.sampled_from(["NaN", "nan", "inf", "Infinity", "-inf", "1e999", "", " "])),
                       min_size=1, max_size=6))
def test_numbers_are_finite_or_rejected_by_line(world, values):
    lines = ["dataElement,period,orgUnit,value,SEX"]
    lines += [f"ENROL,2024S,S1,{v},{'FM'[i % 2]}" if i < 2 else f"ENROL,2024S,S{i % 3 + 1},{v},"
              for i, v in enumerate(values)]
    report = import_file(("\n".join(lines) + "\n").encode())
    assert_clear(report)
    bad_lines = {e.line for e in report.errors if e.field == "value"}
    import math

    for i, v in enumerate(values):
        try:
            ok = v.strip() != "" and math.isfinite(float(v)) and v.strip().lower() not in ("nan", "inf", "infinity")
            ok = ok and v.strip().isascii() and v.strip().isdigit()  # ENROL is a count: the digits 0-9 only
        except ValueError:
            ok = False
        assert (i + 2 not in bad_lines) == ok, (v, report.errors)
    for v in DataValue.objects.values_list("value", flat=True):
        assert math.isfinite(v)


@PROPS
@given(st.lists(st.sampled_from(COLUMNS), unique=True))
def test_missing_columns_are_named(world, present):
    header = ",".join(present)
    data = (header + "\n" + ",".join("x" for _ in present) + "\n").encode() if present else b"\n"
    report = import_file(data, format="csv")
    assert_clear(report)
    missing = [c for c in ("dataElement", "period", "orgUnit", "value") if c not in present]
    if missing and present:
        named = {e.field for e in report.errors if e.line == 1}
        assert set(missing) <= named
