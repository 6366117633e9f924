"""The workflow on the small synthetic demo: rules, completeness and the entry page on real-looking data."""

from __future__ import annotations

import pytest
from django.db import transaction

from bilim.approval import selectors
from bilim.approval.rules import find_outliers, run_validation
from bilim.metadata.models import DataSet
from bilim.registry.models import OrgUnit

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def small_demo(django_db_setup, django_db_blocker):
    from bilim.demo.services import build_demo

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_demo("small", seed=2026)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _a_school():
    ds = DataSet.objects.get(code="SCHOOL_CENSUS")
    tree = selectors.form_tree(ds, "2024S")
    return ds, OrgUnit.objects.filter(pk__in=tree.reporters, data_values__period="2024S").order_by("code").first()


def test_demo_schools_pass_the_default_rules(small_demo):
    ds, school = _a_school()
    assert school is not None
    assert [v for v in run_validation(ds, school, "2024S") if v.importance == "blocking"] == []
    find_outliers(ds, school, "2024S")  # runs over five years of history


@pytest.mark.parametrize("period", ["2021S", "2022S", "2023S", "2024S"])
def test_demo_cohorts_pass_the_flow_rules_in_every_school(small_demo, period):
    """The demo follows its pupils (`bilim.demo.cohort`): no school promotes and holds back more
    pupils than it had, which the flow rules would flag."""
    from bilim.approval.models import ValidationRule

    ds = DataSet.objects.get(code="SCHOOL_CENSUS")
    flow = list(ValidationRule.objects.filter(code__in=["PROMOTED_REPEATERS_LE_LAST_YEAR",
                                                        "GRADUATES_REPEATERS_LE_LAST_YEAR"]))
    assert len(flow) == 2
    schools = OrgUnit.objects.filter(pk__in=selectors.form_tree(ds, period).reporters, data_values__period=period
                                     ).distinct()
    assert schools.count() > 40
    assert [v.message for s in schools for v in run_validation(ds, s, period, rules=flow)] == []


def test_demo_completeness_by_region(small_demo):
    ds = DataSet.objects.get(code="SCHOOL_CENSUS")
    kz = OrgUnit.objects.get(code="KZ")
    c = selectors.completeness(ds, "2024S", kz)
    assert c.total.expected > 0 and 0 < c.total.reported <= c.total.expected
    assert sum(r.expected for r in c.children) == c.total.expected
    assert all(r.kind == "region" for r in c.children)
    assert c.total.submitted == 0 and c.total.on_time == 0


def test_demo_entry_page(small_demo, admin_client):
    ds, school = _a_school()
    r = admin_client.get(f"/collection/entry/{ds.code}/{school.code}/2024S/")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'name="v:ENROL:SEX=F,GRADE=G01"' in html and 'class="prev"' in html
    r = admin_client.get(f"/collection/completeness/{ds.code}/2024S/")
    assert r.status_code == 200
