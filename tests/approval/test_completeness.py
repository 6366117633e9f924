"""Completeness and timeliness: expected reporters, who reported, who submitted on time, who is missing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from bilim.approval import selectors
from bilim.approval.models import ApprovalState, FormDeadline
from bilim.approval.services import submit
from bilim.metadata.models import DataSet

pytestmark = pytest.mark.django_db


def test_counts_at_every_level(country, save):
    ds = DataSet.objects.get(code="SCHOOL_CENSUS")
    save("S1", "ENROL", 10, SEX="F", GRADE="G01")
    save("S1", "TEACH", 1)
    save("S3", "CAPACITY", 100)
    submit(ds, "S1", "2024S")
    c = selectors.completeness(ds, "2024S", country["kz"])
    assert (c.total.expected, c.total.reported, c.total.submitted) == (4, 2, 1)
    assert c.total.completeness == 50.0
    assert [(r.code, r.expected, r.reported, r.submitted) for r in c.children] == [("KZ-11", 3, 2, 1),
                                                                                   ("KZ-15", 1, 0, 0)]
    assert [(m.code, m.lat) for m in c.missing] == [("S2", 51.2), ("S4", 50.3)]
    d1 = selectors.completeness(ds, "2024S", country["d1"])
    assert [(r.code, r.reported, r.status) for r in d1.children] == [("S1", 1, "submitted"), ("S2", 0, "open")]


def test_timeliness_uses_the_deadline_of_the_form_and_period(country):
    ds = DataSet.objects.get(code="SCHOOL_CENSUS")
    assert selectors.deadline(ds, "2024S") == dt.date(2024, 10, 1) + dt.timedelta(days=ds.deadline_days)
    submit(ds, "S1", "2024S")
    submit(ds, "S2", "2024S")
    ApprovalState.objects.filter(org_unit__code="S1").update(
        submitted_at=timezone.make_aware(dt.datetime(2024, 10, 20, 12)))
    c = selectors.completeness(ds, "2024S", country["d1"])
    assert (c.total.submitted, c.total.on_time, c.total.timeliness) == (2, 1, 50.0)
    FormDeadline.objects.create(data_set=ds, period="2024S", due=dt.date(2024, 10, 10))
    c = selectors.completeness(ds, "2024S", country["d1"])
    assert c.deadline == dt.date(2024, 10, 10) and c.total.on_time == 0


def test_reporters_follow_the_forms_org_types(country):
    ds = DataSet.objects.get(code="PRESCHOOL_CENSUS")
    c = selectors.completeness(ds, "2024S", country["kz"])
    assert [r.code for r in c.reporters] == ["K1"]
