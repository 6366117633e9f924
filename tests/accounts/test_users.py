"""User administration (#13 "Accounts and access"): services, CLI, API and pages, every step audited."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from bilim.accounts import users as svc
from bilim.accounts.models import ApiToken, User
from bilim.audit.models import AuditRecord
from bilim.audit.services import verify

pytestmark = pytest.mark.django_db
GOOD = "Steppe-Horizon-2031"


def _rec(action: str) -> AuditRecord:
    return AuditRecord.objects.filter(action=action).order_by("-id").first()


# --- services ---------------------------------------------------------------------------------------

def test_create_change_deactivate_reset_and_tokens_are_audited_with_the_actor(users, world):
    admin = users["admin"]
    u = svc.create_user(admin, "aigerim", GOOD, "district", world["district"].code)
    assert u.check_password(GOOD) and u.scope == world["district"] and u.role == "district"
    rec = _rec("accounts.user_create")
    assert rec.actor == admin.username and rec.after["scope"] == world["district"].code
    assert GOOD not in str(rec.after)
    svc.update_user(admin, u, role="region", scope=world["abai"].code)
    rec = _rec("accounts.role_change")
    assert (rec.actor, rec.before["role"], rec.after["role"], rec.after["scope"]) == \
        (admin.username, "district", "region", "KZ-10")
    svc.reset_password(admin, u, "Another-Steppe-2032")
    assert _rec("accounts.password_reset").actor == admin.username
    key = svc.issue_token(admin, u, "etl")
    assert _rec("accounts.token_issue").actor == admin.username
    svc.revoke_token(admin, svc.find_token(admin, key[4:12]))
    rec = _rec("accounts.token_revoke")
    assert rec.actor == admin.username and rec.after["user"] == "aigerim"
    svc.set_active(admin, u, False)
    assert _rec("accounts.user_deactivate").actor == admin.username
    u.refresh_from_db()
    assert not u.is_active
    assert verify().ok


@pytest.mark.parametrize("kwargs,field,text", [
    ({"username": "", "role": "public"}, "username", "Give a user name"),
    ({"username": "has space", "role": "public"}, "username", "letters, digits"),
    ({"username": "u-admin", "role": "public"}, "username", "taken"),
    ({"username": "x1", "role": "wizard"}, "role", "Unknown role"),
    ({"username": "x2", "role": "district"}, "scope", "needs a scope"),
    ({"username": "x3", "role": "district", "scope": "NOPE"}, "scope", "No org unit"),
    ({"username": "x4", "role": "public", "password": "12345678901"}, "password", "numeric"),
    ({"username": "x5", "role": "public", "password": "short"}, "password", "too short"),
    ({"username": "x6", "role": "public", "password": "password123"}, "password", "too common"),
    ({"username": "kairatbekov", "role": "public", "password": "kairatbekov1"}, "password", "similar"),
])
def test_bad_input_names_the_field(users, world, kwargs, field, text):
    args = {"password": GOOD, "scope": None} | kwargs
    with pytest.raises(svc.AccountError) as e:
        svc.create_user(users["admin"], args["username"], args["password"], args["role"], args["scope"])
    assert e.value.field == field and text in e.value.message
    assert not User.objects.filter(username=args["username"]).exclude(username="u-admin").exists()


def test_a_scoped_administrator_manages_its_subtree_only(users, world):
    from bilim.registry.models import OrgUnit

    east = OrgUnit.objects.get(code="KZ-63")
    boss = User.objects.create_user("east-admin", password=GOOD, role="admin", scope=east)
    ok = svc.create_user(boss, "east-clerk", GOOD, "organization", world["east_district"].code)
    assert ok.scope.code == "KZ-63-003"
    with pytest.raises(svc.AccountError) as e:
        svc.create_user(boss, "west-clerk", GOOD, "organization", world["other_school"].code)
    assert e.value.field == "scope" and e.value.status == 403
    with pytest.raises(svc.AccountError) as e:
        svc.create_user(boss, "national", GOOD, "ministry", None)
    assert e.value.field == "scope"
    assert "u-ministry" not in set(svc.manageable_users(boss).values_list("username", flat=True))
    with pytest.raises(svc.AccountError):
        svc.get_user(boss, "u-ministry")


def test_non_administrators_may_not_manage_users(users):
    with pytest.raises(svc.AccountError) as e:
        svc.create_user(users["ministry"], "sneaky", GOOD, "admin")
    assert e.value.status == 403
    assert not svc.manageable_users(users["region"]).exists()


def test_nobody_deactivates_their_own_account(users):
    with pytest.raises(svc.AccountError, match="your own account"):
        svc.set_active(users["admin"], users["admin"], False)


def test_revoke_token_requires_an_actor(users):
    from bilim.accounts import services

    services.issue_token(users["public"], "t", actor="x")
    with pytest.raises(ValueError):
        services.revoke_token(ApiToken.objects.get(user=users["public"]), actor="")


# --- CLI --------------------------------------------------------------------------------------------

def _cli(*args: str, capsys=None) -> str:
    call_command("users", *args)
    return capsys.readouterr().out if capsys else ""


def test_cli_add_list_token_revoke_deactivate(users, world, monkeypatch, capsys):
    monkeypatch.setenv("BILIM_PASSWORD", GOOD)
    out = _cli("add", "dana", "--role", "district", "--scope", world["district"].code, capsys=capsys)
    assert "user dana added" in out
    dana = User.objects.get(username="dana")
    assert dana.check_password(GOOD) and dana.scope == world["district"]
    assert _rec("accounts.user_create").actor.startswith("cli:")
    listing = _cli("list", capsys=capsys)
    assert "dana" in listing and world["district"].code in listing
    key = _cli("token", "dana", "--name", "etl", capsys=capsys).strip()
    assert key.startswith("bil_") and ApiToken.objects.get(user=dana, revoked__isnull=True).name == "etl"
    assert _cli("revoke-token", key[4:12], capsys=capsys).startswith(f"token {key[4:12]}")
    assert ApiToken.objects.get(user=dana).revoked is not None
    assert _rec("accounts.token_revoke").actor.startswith("cli:")
    _cli("deactivate", "dana", capsys=capsys)
    dana.refresh_from_db()
    assert not dana.is_active


def test_cli_errors_name_the_field(users, world, monkeypatch):
    monkeypatch.setenv("BILIM_PASSWORD", GOOD)
    with pytest.raises(CommandError, match="scope: No org unit"):
        call_command("users", "add", "eve", "--role", "district", "--scope", "NOPE")
    with pytest.raises(CommandError, match="scope: .*needs a scope"):
        call_command("users", "add", "eve", "--role", "district")
    monkeypatch.setenv("BILIM_PASSWORD", "123")
    with pytest.raises(CommandError, match="password:"):
        call_command("users", "add", "eve", "--role", "public")


def test_cli_as_a_user_needs_the_users_capability(users, monkeypatch):
    monkeypatch.setenv("BILIM_PASSWORD", GOOD)
    with pytest.raises(CommandError, match="may not manage user accounts"):
        call_command("users", "add", "eve", "--role", "public", "--user", "u-ministry")


def test_a_district_token_is_refused_outside_its_subtree(users, world, monkeypatch, capsys, client):
    monkeypatch.setenv("BILIM_PASSWORD", GOOD)
    _cli("add", "dist2", "--role", "district", "--scope", world["district"].code, capsys=capsys)
    key = _cli("token", "dist2", capsys=capsys).strip()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert client.get(f"/api/v1/orgunits/{world['school'].code}", **auth).status_code == 200
    assert client.get(f"/api/v1/orgunits/{world['other_school'].code}", **auth).status_code == 403


# --- API --------------------------------------------------------------------------------------------

def test_api_create_patch_tokens_and_errors(as_role, world):
    c = as_role("admin")
    r = c.post("/api/v1/users", {"username": "api-u", "password": GOOD, "role": "organization",
                                 "scope": world["school"].code}, content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["scope"] == world["school"].code
    r = c.post("/api/v1/users", {"username": "api-v", "password": GOOD, "role": "district", "scope": "NOPE"},
               content_type="application/json")
    assert r.status_code == 400 and r.json()["field"] == "scope"
    r = c.post("/api/v1/users", {"username": "api-w", "password": "1234", "role": "public"},
               content_type="application/json")
    assert r.status_code == 400 and r.json()["field"] == "password"
    r = c.patch("/api/v1/users/api-u", {"role": "district", "scope": world["district"].code},
                content_type="application/json")
    assert r.status_code == 200 and r.json()["role"] == "district"
    r = c.post("/api/v1/users/api-u/tokens", {"name": "etl"}, content_type="application/json")
    assert r.status_code == 201
    prefix = r.json()["prefix"]
    assert [t["prefix"] for t in c.get("/api/v1/users/api-u/tokens").json()] == [prefix]
    assert c.delete(f"/api/v1/users/api-u/tokens/{prefix}").status_code == 204
    assert c.post("/api/v1/users/api-u/password", {"password": "Fresh-Steppe-2040"},
                  content_type="application/json").status_code == 204
    assert c.post("/api/v1/users/api-u/deactivate").status_code == 200
    assert c.get("/api/v1/users/nobody").status_code == 404
    assert any(u["username"] == "api-u" for u in c.get("/api/v1/users").json())
    assert as_role("ministry").get("/api/v1/users").status_code == 403
    assert as_role("district").post("/api/v1/users", {"username": "x", "password": GOOD, "role": "admin"},
                                    content_type="application/json").status_code == 403
    assert verify().ok


# --- pages ------------------------------------------------------------------------------------------

def test_pages_add_a_district_user_with_a_scope(as_role, world):
    c = as_role("admin")
    page = c.get("/accounts/users/new/")
    assert page.status_code == 200 and f'value="{world["district"].code}"' in page.content.decode()
    r = c.post("/accounts/users/new/", {"username": "page-u", "role": "district", "scope": world["district"].code,
                                        "password": GOOD, "password2": GOOD})
    assert r.status_code == 302 and r["Location"] == "/accounts/users/page-u/"
    assert User.objects.get(username="page-u").scope == world["district"]
    assert "page-u" in c.get("/accounts/users/").content.decode()
    r = c.post("/accounts/users/page-u/tokens/", {"name": "etl"})
    assert r.status_code == 200 and "new-token-key" in r.content.decode()
    tok = ApiToken.objects.get(user__username="page-u")
    assert c.post(f"/accounts/users/page-u/tokens/{tok.prefix}/revoke/").status_code == 302
    tok.refresh_from_db()
    assert tok.revoked is not None
    assert c.post("/accounts/users/page-u/active/", {"active": "0"}).status_code == 302
    assert not User.objects.get(username="page-u").is_active


def test_pages_show_errors_on_the_field_not_500(as_role, world):
    c = as_role("admin")
    r = c.post("/accounts/users/new/", {"username": "bad", "role": "district", "scope": "NOPE",
                                        "password": GOOD, "password2": GOOD})
    assert r.status_code == 400 and 'id="scope-error"' in r.content.decode()
    r = c.post("/accounts/users/new/", {"username": "bad", "role": "public", "password": "123",
                                        "password2": "123"})
    assert r.status_code == 400 and 'id="password-error"' in r.content.decode()
    r = c.post("/accounts/users/u-district/password/", {"password": "u-district", "password2": "u-district"})
    assert r.status_code == 400 and 'id="password-error"' in r.content.decode()
    assert c.get("/accounts/users/nobody/").status_code == 404


def test_pages_are_for_administrators_only(as_role):
    assert as_role("ministry").get("/accounts/users/").status_code == 403
    assert as_role("district").post("/accounts/users/new/", {}).status_code == 403


def test_the_error_is_translated(as_role, world):
    from django.utils import translation

    c = as_role("admin")
    with translation.override("ru"):
        r = c.post("/accounts/users/new/", {"username": "bad", "role": "district", "password": GOOD,
                                            "password2": GOOD}, HTTP_ACCEPT_LANGUAGE="ru")
    assert r.status_code == 400 and "область" in r.content.decode().lower() or "подчин" in r.content.decode()
