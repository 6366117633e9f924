"""The org-unit picker: its JSON look-up and the form field every write page uses."""

from __future__ import annotations

import pytest
from django import forms

from bilim.web.forms import OrgUnitField, UserForm

pytestmark = pytest.mark.django_db


@pytest.fixture
def reg(mini_registry):
    return mini_registry


def _codes(resp) -> list[str]:
    assert resp.status_code == 200, resp.content
    return [r["code"] for r in resp.json()["results"]]


def test_search_by_code_and_name_in_the_page_language(client_as, reg):
    c = client_as("admin")
    assert _codes(c.get("/pickers/units/?q=1000")) == ["100000000001"]
    assert _codes(c.get("/pickers/units/?q=school no")) == ["100000000001"]
    row = c.get("/pickers/units/?q=KZ-63-001-EDU").json()["results"][0]
    assert row["name"] == "Urzhar education office" and row["parent"] == "Urzhar District"
    # Cyrillic is matched whatever its case (SQLite folds only ASCII)
    assert _codes(c.get("/pickers/units/?q=урджар")) == []  # the page is in English: English names
    c.post("/language/", {"language": "kk", "next": "/"})
    assert "KZ-63-001" in _codes(c.get("/pickers/units/?q=ұржар"))
    assert "KZ-63-001-EDU" in _codes(c.get("/pickers/units/?q=БІЛІМ"))


def test_exact_code_first_then_by_level(client_as, reg):
    codes = _codes(client_as("admin").get("/pickers/units/?q=KZ"))
    assert codes[0] == "KZ" and codes.index("KZ-63") < codes.index("KZ-63-001") < codes.index("KZ-63-001-EDU")


def test_kind_filter_and_bad_kind(client_as, reg):
    c = client_as("admin")
    assert _codes(c.get("/pickers/units/?kind=authority")) == ["KZ-63-001-EDU"]
    assert set(_codes(c.get("/pickers/units/?kind=region,district"))) == {"KZ-63", "KZ-10", "KZ-63-001"}
    bad = c.get("/pickers/units/?kind=planet")
    assert bad.status_code == 400 and bad.json()["field"] == "kind" and "planet" in bad.json()["detail"]
    assert c.get("/pickers/units/?q=" + "x" * 101).json()["field"] == "q"


def test_only_units_in_scope_and_at_most_twenty(client_as, reg, act):
    from bilim.registry import services as rs

    for i in range(25):
        rs.open_unit(rs.UnitSpec(f"2000000000{i:02d}", "organization", f"Мектеп {i}", f"Школа {i}", f"Extra {i}",
                                 parent=reg["east"], attrs={"org_type": "SCHOOL", "area": "URBAN"}),
                     act.date, act)
    district = client_as("district", reg["district"])
    assert set(_codes(district.get("/pickers/units/"))) == {"KZ-63-001", "KZ-63-001-EDU", "100000000001"}
    assert _codes(district.get("/pickers/units/?q=Extra")) == []
    national = client_as("ministry").get("/pickers/units/?q=Extra").json()
    assert len(national["results"]) == 20 and national["more"] is True
    assert client_as("public").get("/pickers/units/").status_code == 403  # no registry capability


class _Form(UserForm):
    body = OrgUnitField(kinds=("authority",), label="Responsible body")
    place = OrgUnitField(required=False, family="governance")


def test_field_cleans_codes_and_names_the_problem(reg, client_as):
    user = client_as("district", reg["district"]).user
    ok = _Form({"body": "KZ-63-001-EDU"}, user=user)
    assert ok.is_valid(), ok.errors
    assert ok.cleaned_data["body"] == reg["office"] and ok.cleaned_data["place"] is None
    # without JavaScript the search box is read ("CODE name" as the picker fills it)
    typed = _Form({"body_q": "KZ-63-001-EDU Urzhar education office"}, user=user)
    assert typed.is_valid() and typed.cleaned_data["body"] == reg["office"]
    unknown = _Form({"body": "NOPE"}, user=user)
    assert not unknown.is_valid() and "No org unit with code NOPE" in unknown.errors["body"][0]
    wrong_kind = _Form({"body": "KZ-63-001"}, user=user)
    assert not wrong_kind.is_valid() and "Authority" in wrong_kind.errors["body"][0]
    outside = _Form({"body": "KZ-63-001-EDU", "place": "KZ-10"}, user=user)
    assert not outside.is_valid() and "outside your scope" in outside.errors["place"][0]
    assert "body" in _Form({}, user=user).errors


def test_widget_renders_a_search_box_with_a_hidden_code(reg):
    form = _Form(initial={"body": reg["office"]})
    html = str(form["body"])
    assert 'type="hidden" name="body" value="KZ-63-001-EDU"' in html
    assert 'name="body_q" value="KZ-63-001-EDU Urzhar education office"' in html
    assert 'data-url="/pickers/units/"' in html and 'data-kind="authority"' in html
    assert isinstance(form.fields["body"].widget, forms.Widget)
