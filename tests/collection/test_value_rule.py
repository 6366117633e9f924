"""The one rule for a submitted value (`parse_value`): counts are ASCII digits only, amounts any plain
finite decimal that is not negative, and no value may use digits other than 0-9 (Python's float()
would take them)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bilim.collection.validation import AMOUNT, COUNT, parse_value

PROPS = settings(max_examples=300, deadline=None)
NEGATIVE = "cannot be negative"
WHOLE = "a whole number is expected"
DIGITS = "write it with the digits 0-9"

# a digit Python reads as a number that is not ASCII 0-9: Arabic-Indic ٣, Persian ۵, full-width ３, Devanagari ३ ...
foreign_digit = st.characters(categories=["Nd"]).filter(lambda c: not "0" <= c <= "9")
# decimals with a fraction, written plainly (no exponent), e.g. 2.5, 0.001, 12.30
fractional = st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=Decimal("-1e9"),
                         max_value=Decimal("1e9")).filter(lambda d: d != d.to_integral_value())
space = st.sampled_from(["", " ", "  ", "\t", "\u00a0"])


@PROPS
@given(n=st.integers(min_value=0, max_value=10**300), before=space, after=space, zeros=st.integers(0, 3))
@example(n=0, before="", after="", zeros=0)
def test_any_whole_number_written_in_ascii_digits_is_a_count(n, before, after, zeros):
    text = before + "0" * zeros + str(n) + after
    assert parse_value(text, COUNT, "ENROL") == (float(n), None)
    assert parse_value(text, AMOUNT, "EXPEND") == (float(n), None)  # a count is an amount too


@PROPS
@given(n=st.integers(max_value=-1, min_value=-10**300))
@example(n=-5)
def test_a_negative_count_is_refused_as_negative(n):
    number, reason = parse_value(str(n), COUNT, "ENROL")
    assert number is None and "ENROL cannot be negative" in reason
    number, reason = parse_value(n, COUNT, "ENROL")  # as a number (a Python caller)
    assert number is None and NEGATIVE in reason


@PROPS
@given(d=fractional, comma=st.booleans())
@example(d=Decimal("2.5"), comma=False)
@example(d=Decimal("2.5"), comma=True)
@example(d=Decimal("-2.5"), comma=True)
def test_a_fractional_count_is_refused_as_not_whole_or_negative(d, comma):
    text = f"{d:f}".replace(".", "," if comma else ".")
    number, reason = parse_value(text, COUNT, "ENROL")
    assert number is None
    assert (NEGATIVE if d < 0 else WHOLE) in reason, (text, reason)
    assert (NEGATIVE if d < 0 else WHOLE) in parse_value(float(d), COUNT, "ENROL")[1]


@PROPS
@given(prefix=st.text(max_size=6), digit=foreign_digit, suffix=st.text(max_size=6),
       value_type=st.sampled_from([COUNT, AMOUNT]))
@example(prefix="", digit="٣", suffix="", value_type=COUNT)
@example(prefix="", digit="３", suffix="", value_type=COUNT)
@example(prefix="1", digit="٢", suffix="", value_type=AMOUNT)
@example(prefix="-", digit="５", suffix=".5", value_type=AMOUNT)
def test_any_text_with_a_digit_other_than_0_to_9_is_refused(prefix, digit, suffix, value_type):
    text = prefix + digit + suffix
    number, reason = parse_value(text, value_type, "ENROL")
    assert number is None and DIGITS in reason, (text, reason)


@pytest.mark.parametrize(("text", "words"), [
    ("1e3", "digits 0-9 only"), ("12.0", "digits 0-9 only"), ("+5", "digits 0-9 only"),
    ("1,000", "digits 0-9 only"), ("-1e3", NEGATIVE), ("-2,5", NEGATIVE), (",5", WHOLE), ("1 000", "is not a number"), ("NaN", "is not a number"),
    ("inf", "is not a number"), ("-inf", "is not a number"), ("0x10", "is not a number"),
    ("9" * 400, "not a finite number"), ("1e999", "not a finite number"), ("", "value is missing"), ("   ", "value is missing"),
])
def test_other_spellings_are_not_counts(text, words):
    number, reason = parse_value(text, COUNT, "ENROL")
    assert number is None and words in reason, reason


@pytest.mark.parametrize(("text", "expected"), [
    ("2.5", 2.5), ("1e3", 1000.0), ("+5", 5.0), (".5", 0.5), ("1.5E-2", 0.015), (" 7 ", 7.0), ("-0", 0.0),
    (1500000.25, 1500000.25), (3, 3.0),
])
def test_amounts_keep_taking_any_plain_finite_decimal(text, expected):
    assert parse_value(text, AMOUNT, "EXPEND") == (expected, None)


@pytest.mark.parametrize(("text", "words"), [
    ("2,5", "is not a number"), ("1 000", "is not a number"), ("nan", "is not a number"),
    ("Infinity", "is not a number"), ("0x10", "is not a number"), ("1e400", "not a finite number"),
    (True, "is not a number"), ("-5", "EXPEND cannot be negative"), ("-1.5E-2", NEGATIVE), (-3, NEGATIVE),
])
def test_amounts_still_refuse_what_is_no_plain_number_or_negative(text, words):
    number, reason = parse_value(text, AMOUNT, "EXPEND")
    assert number is None and words in reason, reason


def test_an_unknown_element_asks_only_for_a_number():
    """Its row already says the element is unknown; the value gets no size rule on top."""
    assert parse_value("-2.5", None, "NOPE") == (-2.5, None)
    assert DIGITS in parse_value("٣", None, "NOPE")[1]


def test_a_count_given_as_a_whole_python_number_is_taken():
    """XLSX cells and JSON numbers reach the rule as text; Python callers may pass numbers."""
    assert parse_value(3, COUNT, "ENROL") == (3.0, None)
    assert parse_value(3.0, COUNT, "ENROL") == (3.0, None)
    assert parse_value(-0.0, COUNT, "ENROL") == (0.0, None)


@pytest.mark.django_db
@pytest.mark.parametrize(("element", "value", "cats", "reason"), [
    ("ENROL", "-5", {"SEX": "F", "GRADE": "G01"}, "ENROL cannot be negative (-5 was given)"),
    ("ENROL", "2.5", {"SEX": "F", "GRADE": "G01"}, "ENROL is a count: a whole number is expected, not 2.5"),
    ("CAPACITY", "٣٠٠", {}, "write it with the digits 0-9"),
    ("EXPEND", "１.５", {"EXP": "CURRENT"}, "write it with the digits 0-9"),
    ("EXPEND", "-1.5", {"EXP": "CURRENT"}, "EXPEND cannot be negative"),
])
def test_save_value_applies_the_rule_of_the_element(world, element, value, cats, reason):
    from bilim.collection.models import DataValue
    from bilim.collection.services import save_value
    from bilim.collection.validation import InvalidValue

    period = "2023" if element == "EXPEND" else "2024S"
    with pytest.raises(InvalidValue) as e:
        save_value(data_element=element, period=period, org_unit="S1", value=value, categories=cats)
    assert reason in e.value.message_dict["value"][0]
    assert not DataValue.objects.exists()
    save_value(data_element="EXPEND", period="2023", org_unit="S1", value="1500000.25", categories={"EXP": "CAPITAL"})
    assert DataValue.objects.get().value == 1500000.25


@given(st.lists(st.text(max_size=4) | st.integers(0, 10**6).map(str), min_size=1, max_size=30))
@settings(max_examples=200, deadline=None)
def test_the_fast_path_of_imports_is_the_count_pattern(texts):
    """Imports test the count pattern with Arrow (`ascii_is_decimal`); it must agree with the rule's regex."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from bilim.collection.validation import COUNT_PATTERN

    fast = pc.ascii_is_decimal(pa.array(texts, type=pa.string())).to_pylist()
    assert fast == [re.fullmatch(COUNT_PATTERN, t) is not None for t in texts]
