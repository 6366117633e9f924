"""Counts are whole and never negative, amounts are never negative: one rule (`parse_value`) for a typed
cell and for every import format, with the reason in the reader's language and numbers in its format."""

from __future__ import annotations

import io
import json
import math

import pytest
from django.utils import translation
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bilim.collection.models import DataValue
from bilim.collection.services import save_value
from bilim.collection.validation import InvalidValue
from bilim.exchange.services import import_file

pytestmark = pytest.mark.django_db

PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                      HealthCheck.too_slow])
NUMBERS = st.one_of(st.integers(min_value=-10**6, max_value=10**6).map(float),
                    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False))


def _csv(element: str, value: str, cats: str = ",,") -> bytes:
    return f"dataElement,period,orgUnit,value,SEX,GRADE,EXP\n{element},{value_period(element)},S1,{value},{cats}\n" \
        .encode()


def value_period(element: str) -> str:
    return "2023" if element == "EXPEND" else "2024S"


def _text(value: float) -> str:
    """How a person writes the number: a whole one with digits only (a count refuses '3.0')."""
    return str(int(value)) if float(value).is_integer() else repr(value)


def _xlsx(element: str, value: float) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["dataElement", "period", "orgUnit", "value"])
    ws.append([element, value_period(element), "S1", value])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _json(element: str, value: float) -> bytes:
    return json.dumps({"dataValues": [{"dataElement": element, "period": value_period(element), "orgUnit": "S1",
                                       "value": value}]}).encode()


def _adx(element: str, value: float) -> bytes:
    period = "2023-01-01/P1Y" if element == "EXPEND" else "2024-09-01/P1Y"
    return (f'<?xml version="1.0"?><adx xmlns="urn:ihe:qrph:adx:2015"><group dataSet="X" orgUnit="S1" '
            f'period="{period}"><dataValue dataElement="{element}" value="{_text(value)}"/></group></adx>').encode()


def _expected_ok(element: str, value: float) -> bool:
    return value >= 0 and (element == "EXPEND" or float(value).is_integer())


@PROPS
@given(value=NUMBERS, element=st.sampled_from(["ENROL", "EXPEND"]),
       fmt=st.sampled_from(["csv", "xlsx", "dhis2", "adx", "form"]))
@example(value=-5.0, element="ENROL", fmt="csv")
@example(value=2.5, element="ENROL", fmt="xlsx")
@example(value=2.5, element="EXPEND", fmt="dhis2")
@example(value=-0.5, element="EXPEND", fmt="adx")
def test_every_path_applies_the_same_count_rule(world, value, element, fmt):
    DataValue.objects.all().delete()
    ok = _expected_ok(element, value)
    if fmt == "form":
        cats = {"EXP": "CURRENT"} if element == "EXPEND" else {"SEX": "F", "GRADE": "G01"}
        try:
            save_value(data_element=element, period=value_period(element), org_unit="S1", value=_text(value),
                       categories=cats)
            accepted, reasons = True, []
        except InvalidValue as e:
            accepted, reasons = False, e.message_dict.get("value", [])
    else:
        data = {"csv": lambda: _csv(element, _text(value)), "xlsx": lambda: _xlsx(element, value),
                "dhis2": lambda: _json(element, value), "adx": lambda: _adx(element, value)}[fmt]()
        report = import_file(data, format=fmt)
        accepted = report.ok
        reasons = [e.reason for e in report.errors if e.field == "value"]
        if not accepted:
            assert report.created == 0 and all(e.line in (2, "dataValues[0]") or str(e.line) for e in report.errors)
    assert accepted == ok, (value, element, fmt, reasons)
    if not ok:
        assert reasons and element in reasons[0]
        assert ("negative" in reasons[0]) == (value < 0)
    stored = list(DataValue.objects.values_list("value", flat=True))
    assert stored == (pytest.approx([value], rel=1e-12) if ok else [])
    assert all(math.isfinite(v) and v >= 0 for v in stored)


def test_the_reported_example_is_refused_with_line_and_field(world):
    report = import_file(b"dataElement,period,orgUnit,value,SEX,AGE,GRADE\nENROL,2023S,S1,-5,F,,G01\n"
                         b"ENROL,2023S,S1,2.5,M,,G01\n", format="csv")
    assert not report.ok and DataValue.objects.count() == 0
    by_line = {e.line: e for e in report.errors}
    assert by_line[2].field == "value" and "negative" in by_line[2].reason
    assert by_line[3].field == "value" and "whole number" in by_line[3].reason


@pytest.mark.parametrize("text", ["٣", "１２", "1٢", "۵"])
def test_digits_other_than_0_to_9_are_refused_not_stored(world, text):
    report = import_file(_csv("ENROL", text, "F,G01,"), format="csv")
    assert not report.ok and DataValue.objects.count() == 0
    assert "0-9" in report.errors[0].reason
    with pytest.raises(InvalidValue) as e:
        save_value(data_element="ENROL", period="2024S", org_unit="S1", value=text,
                   categories={"SEX": "F", "GRADE": "G01"})
    assert "0-9" in e.value.message_dict["value"][0]


@pytest.mark.parametrize(("lang", "words", "number"), [
    ("kk", "бүтін сан", "2,5"), ("ru", "целое число", "2,5"), ("en", "whole number", "2.5")])
def test_the_reason_is_in_the_readers_language_with_its_numbers(world, lang, words, number):
    with translation.override(lang):
        report = import_file(_csv("ENROL", "2.5", "F,G01,"), format="csv")
        with pytest.raises(InvalidValue) as e:
            save_value(data_element="ENROL", period="2024S", org_unit="S1", value="-1234",
                       categories={"SEX": "F", "GRADE": "G01"})
    reason = report.errors[0].reason
    assert words in reason and number in reason, reason
    neg = e.value.message_dict["value"][0]
    assert ("1\xa0234" if lang == "kk" else "234") in neg
