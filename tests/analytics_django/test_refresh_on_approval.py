"""An approval step asks for the analytics refresh: once the republic accepts a census, the public sees
its figures without anyone typing a value or running `bilim analytics refresh`.

Its own module, so its own warehouse (the conftest's is per module): the refresh rewrites it.
"""

from __future__ import annotations

import pytest

from bilim.analytics import refresher, service

pytestmark = pytest.mark.django_db
PUBLIC_READER = 4


def _public_ptr(period: str):
    with service.as_reader(PUBLIC_READER):
        if period not in service.periods_available("ENROL"):
            return None
        df = service.indicators(["PTR_ISCED1"], [period], ou_codes=["KZ"])
    return None if df.empty else df["value"].iloc[0]


def _approve_to_the_top(form: str, period: str) -> int:
    """Submit every reporter, then approve from the districts up and accept at the republic; the steps."""
    from bilim.approval import selectors, services
    from bilim.metadata.models import DataSet
    from bilim.registry.models import OrgUnit

    ds = DataSet.objects.get(code=form)
    tree = selectors.form_tree(ds, period)
    units = {u.pk: u for u in OrgUnit.objects.filter(pk__in=tree.participating)}
    steps = 0
    for pk in sorted(tree.reporters):
        services.submit(ds, units[pk], period)
        steps += 1
    for kind in ("district", "region", "republic"):
        for u in sorted((u for pk, u in units.items() if u.kind == kind and pk not in tree.reporters),
                        key=lambda u: u.code):
            services.approve(ds, u, period)
            steps += 1
    return steps


def test_accepting_the_census_makes_the_year_public_through_the_refresh_it_requested(
        warehouse, monkeypatch, django_capture_on_commit_callbacks):
    assert _public_ptr("2024S") is None  # open year: nothing public
    with service.as_reader(0):
        admin_value = service.indicators(["PTR_ISCED1"], ["2024S"], ou_codes=["KZ"])["value"].iloc[0]
    calls = []
    real = refresher.request
    monkeypatch.setattr(refresher, "request", lambda: calls.append(1))
    with django_capture_on_commit_callbacks(execute=True):
        steps = _approve_to_the_top("SCHOOL_CENSUS", "2024S")
    assert _public_ptr("2024S") is None  # nothing refreshed yet
    assert len(calls) == steps > 3  # every committed step asked for a refresh
    # the queue coalesces a burst of requests into one refresh job: run that one, at once
    monkeypatch.setattr(refresher, "MODE", "inline")
    real()
    service.adopt()
    assert _public_ptr("2024S") == pytest.approx(admin_value)
