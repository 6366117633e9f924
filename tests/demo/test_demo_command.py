"""`bilim demo` into an empty database (no module-wide demo here, so the registry starts empty)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from bilim.registry.models import OrgUnit

pytestmark = pytest.mark.django_db


def test_demo_command_builds_small_and_says_synthetic(db):
    out = StringIO()
    call_command("demo", "--scale", "small", "--seed", "5", stdout=out)
    out = out.getvalue()
    assert "SYNTHETIC" in out
    assert OrgUnit.objects.filter(code="KZ-10").exists()
    assert OrgUnit.objects.filter(synthetic=True).count() > 200
