"""The programme dashboard's deficit of places is remembered for a minute (it walks every school)."""

from __future__ import annotations

import datetime as dt

from bilim.projects import selectors


def test_the_deficit_is_computed_once_per_minute_and_copies_are_independent(monkeypatch):
    calls = []

    def fake(codes, day, published_only=False):
        calls.append((tuple(codes), day))
        return {c: {"pupils_over_capacity": 7} for c in codes}

    monkeypatch.setattr(selectors, "_enrolment_deficit", fake)
    monkeypatch.setattr(selectors, "DEFICIT_CACHE_SECONDS", 60.0)
    monkeypatch.setattr(selectors, "_deficit_cache", {})
    day = dt.date(2025, 1, 1)
    first = selectors.enrolment_deficit(["KZ-10", "KZ-11"], day)
    first["KZ-10"]["pupils_over_capacity"] = 999  # a caller changing its copy
    again = selectors.enrolment_deficit(["KZ-11", "KZ-10"], day)
    assert len(calls) == 1
    assert again["KZ-10"]["pupils_over_capacity"] == 7
    selectors.enrolment_deficit(["KZ-10"], day)
    assert len(calls) == 2  # another question


def test_without_caching_every_call_computes(monkeypatch):
    calls = []
    monkeypatch.setattr(selectors, "_enrolment_deficit", lambda codes, day, published_only=False: calls.append(1) or {})
    monkeypatch.setattr(selectors, "_deficit_cache", {})
    selectors.enrolment_deficit(["KZ-10"], dt.date(2025, 1, 1))
    selectors.enrolment_deficit(["KZ-10"], dt.date(2025, 1, 1))
    assert len(calls) == 2
