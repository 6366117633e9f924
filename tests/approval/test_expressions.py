"""The rule expression language: parsing, errors, evaluation; never a crash on any text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bilim.approval import expressions as ex


def test_parses_the_documented_examples():
    assert ex.parse("ENROL") == ex.Ref("ENROL")
    assert ex.parse("ENROL[SEX=F]") == ex.Ref("ENROL", 0, (("SEX", "F"),))
    assert ex.parse("3 * CAPACITY") == ex.BinOp("*", ex.Num(3), ex.Ref("CAPACITY"))
    assert ex.parse("ENROL@-1[GRADE=G01]") == ex.Ref("ENROL", -1, (("GRADE", "G01"),))
    assert ex.parse("REPEAT[GRADE=$-1, SEX=F]") == ex.Ref("REPEAT", 0, (("GRADE", ex.OptionRef(-1)), ("SEX", "F")))
    assert ex.parse("enrol[sex=f]") == ex.Ref("ENROL", 0, (("SEX", "F"),))
    assert ex.parse("AGE_X[AGE=A30P]").filters == (("AGE", "A30P"),)


def test_precedence_and_evaluation():
    node = ex.parse("1 + 2 * 3 - -(4 - 2) / 2")
    assert ex.evaluate(node, lambda r: None) == 1 + 6 + 1
    values = {"ENROL": 10.0, "CAPACITY": 4.0}
    assert ex.evaluate(ex.parse("ENROL - 2 * CAPACITY"), lambda r: values[r.element]) == 2
    assert ex.evaluate(ex.parse("ENROL / 0"), lambda r: values[r.element]) is None
    assert ex.evaluate(ex.parse("ENROL + MISSING"), lambda r: values.get(r.element)) is None


@pytest.mark.parametrize("text, fragment", [
    ("", "empty"),
    ("ENROL +", "end of the expression"),
    ("ENROL[SEX F]", "expected '='"),
    ("ENROL[SEX=F", "expected ']'"),
    ("ENROL[SEX=F,SEX=M]", "filtered twice"),
    ("(1 + 2", "expected ')'"),
    ("ENROL; DROP TABLE", "unexpected character ';'"),
    ("__import__('os')", "unexpected character"),
    ("ENROL@x", "whole number"),
    ("1 2", "expected an operator"),
    ("(" * 100 + "1" + ")" * 100, "nested too deeply"),
    ("x" * 2000, "too long"),
])
def test_errors_say_what_is_wrong(text, fragment):
    with pytest.raises(ex.ExpressionError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        ex.parse(text)


def test_check_codes_against_the_catalogue():
    elements = {"ENROL": ("SEX", "GRADE"), "CAPACITY": ()}
    options = {"SEX": ("F", "M"), "GRADE": ("G01", "G02")}
    assert ex.check_codes(ex.parse("ENROL[SEX=F] + 3 * CAPACITY"), elements, options) == []
    problems = ex.check_codes(ex.parse("NOPE + ENROL[SEX=X] + CAPACITY[SEX=F] + ENROL[GRADE=$]"), elements, options)
    assert problems == ["unknown data element NOPE", "unknown option X for category SEX",
                        "CAPACITY is not disaggregated by SEX (its categories: none)",
                        "ENROL[GRADE=$] needs the rule to run for each GRADE"]


ALPHABET = st.sampled_from(list("ENROLSEXFG0123456789$@[]=,+-*/(). \t_abc;'\"\\\n") + ["ENROL", "[SEX=F]", "@-1"])


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=80), st.lists(ALPHABET, max_size=40).map("".join)))
def test_parser_never_crashes(text):
    try:
        node = ex.parse(text)
    except ex.ExpressionError as e:
        assert str(e)
        return
    # whatever parses, prints back to an equivalent expression and evaluates without error
    assert ex.parse(ex.to_text(node)) == node
    ex.evaluate(node, lambda r: 1.0)


def test_numbers_round_trip_and_overflow_is_an_error():
    node = ex.parse("1234567.25 * ENROL + 1e20")
    assert ex.parse(ex.to_text(node)) == node
    with pytest.raises(ex.ExpressionError, match="too large"):
        ex.parse("1e999")


# --- for_each_options: which options of the category a rule runs for ----------------------------------

GRADES = [f"G{g:02d}" for g in range(13)]


def test_option_lists_and_ranges():
    assert ex.parse_options("") == ex.parse_options("  ") == ()
    assert ex.parse_options("G01..G10") == (("G01", "G10"),)
    assert ex.parse_options(" f , M ") == (("F", "F"), ("M", "M"))
    assert ex.parse_options("g00, G05 .. G09") == (("G00", "G00"), ("G05", "G09"))
    assert ex.select_options(ex.parse_options("G01..G10"), GRADES) == GRADES[1:11]
    assert ex.select_options(ex.parse_options("G09,G02..G03,G02"), GRADES) == ["G02", "G03", "G09"]
    assert ex.select_options((), GRADES) == GRADES


@pytest.mark.parametrize("text, fragment", [
    ("G01..", "item 1 'G01..'"),
    ("G01..G02..G03", "FIRST..LAST"),
    ("G01;G02", "item 1"),
    ("G01,,G02", "item 2 ''"),
    ("G0 1", "not an option code"),
    ("G01," * 100, "too long"),
])
def test_option_syntax_errors_say_which_item(text, fragment):
    with pytest.raises(ex.ExpressionError, match=fragment.replace(".", r"\.")):
        ex.parse_options(text)


@pytest.mark.parametrize("text, fragment", [("G01..G99", "unknown option G99"), ("X", "unknown option X"),
                                            ("G10..G01", "runs backwards")])
def test_options_a_category_does_not_have_are_errors(text, fragment):
    with pytest.raises(ex.ExpressionError, match=fragment):
        ex.select_options(ex.parse_options(text), GRADES)


CODES = st.lists(st.from_regex(r"[A-Z0-9_]{1,6}", fullmatch=True), min_size=1, max_size=15, unique=True)


@settings(max_examples=300, deadline=None)
@given(CODES, st.data())
def test_a_range_selects_the_slice_of_the_category_order(order, data):
    i = data.draw(st.integers(0, len(order) - 1))
    j = data.draw(st.integers(i, len(order) - 1))
    assert ex.select_options(ex.parse_options(f"{order[i]}..{order[j]}"), order) == order[i:j + 1]
    if i < j:
        with pytest.raises(ex.ExpressionError, match="backwards"):
            ex.select_options(ex.parse_options(f"{order[j]}..{order[i]}"), order)


@settings(max_examples=300, deadline=None)
@given(CODES, st.data())
def test_a_list_selects_exactly_its_codes_in_the_category_order(order, data):
    chosen = data.draw(st.lists(st.sampled_from(order), min_size=1, max_size=12))
    text = ", ".join(c.lower() if k % 2 else c for k, c in enumerate(chosen))
    assert ex.select_options(ex.parse_options(text), order) == [c for c in order if c in set(chosen)]


OPTION_ALPHABET = st.sampled_from(list("G0123456789.,_ -;$[]") + ["G01", "..", "G10"])


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=60), st.lists(OPTION_ALPHABET, max_size=30).map("".join)))
def test_option_parser_never_crashes(text):
    try:
        items = ex.parse_options(text)
    except ex.ExpressionError as e:
        assert str(e)
        return
    # whatever parses selects a part of the category in its order, or says which code is wrong
    try:
        chosen = ex.select_options(items, GRADES)
    except ex.ExpressionError as e:
        assert "unknown option" in str(e) or "backwards" in str(e)
        return
    assert chosen == [g for g in GRADES if g in set(chosen)]
    assert bool(items) <= bool(chosen)
