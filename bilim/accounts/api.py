"""User administration endpoints (`/api/v1/users`): thin callers of `bilim.accounts.users`.

Administrators only (the `users` capability); a scoped administrator sees and changes the accounts of
its subtree (the service filters and checks, so these operations are `scope_filtered` in the rule
table). Errors: 400 naming the field, 403 outside the caller's rights, 404 for an unknown user or
token — JSON {code, message, field}.
"""

from __future__ import annotations

import datetime as dt
from functools import wraps
from typing import Literal

from ninja import Field, Router, Schema

from . import users as svc
from .models import Role

PREFIX = "/users"
router = Router(tags=["users"])

RoleName = Literal["admin", "ministry", "region", "district", "organization", "secretariat", "public"]
assert set(RoleName.__args__) == set(Role.values)  # type: ignore[attr-defined]
Language = Literal["", "kk", "ru", "en"]


class ErrorOut(Schema):
    code: str
    message: str
    field: str = ""


ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}
CODES = {400: "invalid", 403: "forbidden", 404: "not_found"}


class UserOut(Schema):
    username: str
    role: str
    scope: str | None
    scope_name: str | None
    is_active: bool
    is_superuser: bool
    email: str
    first_name: str
    last_name: str
    language: str
    last_login: dt.datetime | None
    date_joined: dt.datetime


class UserIn(Schema):
    username: str = Field(..., min_length=1, max_length=150)
    password: str = Field(..., min_length=1, max_length=128)
    role: RoleName
    scope: str | None = Field(None, max_length=32, description="Org unit code of the user's subtree")
    email: str = Field("", max_length=254)
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    language: Language = ""


class UserPatch(Schema):
    role: RoleName | None = None
    scope: str | None = Field(None, max_length=32,
                              description="Org unit code; '' removes the scope (the whole republic)")
    email: str | None = Field(None, max_length=254)
    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    language: Language | None = None
    is_active: bool | None = None


class PasswordIn(Schema):
    password: str = Field(..., min_length=1, max_length=128)


class TokenIn(Schema):
    name: str = Field("", max_length=100)


class TokenOut(Schema):
    prefix: str
    name: str
    created: dt.datetime
    last_used: dt.datetime | None
    revoked: dt.datetime | None


class NewTokenOut(Schema):
    key: str = Field(..., description="The token; shown this once, never stored")
    prefix: str
    name: str


def _out(u) -> dict:
    return {"username": u.username, "role": "admin" if u.is_superuser else u.role,
            "scope": u.scope.code if u.scope_id else None, "scope_name": u.scope.name if u.scope_id else None,
            "is_active": u.is_active, "is_superuser": u.is_superuser, "email": u.email,
            "first_name": u.first_name, "last_name": u.last_name, "language": u.language,
            "last_login": u.last_login, "date_joined": u.date_joined}


def _caller(request):
    return getattr(request, "auth", None) or request.user


def _errors(view):
    """AccountError -> (status, {code, message, field})."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except svc.AccountError as e:
            return e.status, {"code": CODES.get(e.status, "invalid"), "message": e.message, "field": e.field}

    return wrapper


@router.get("", response={200: list[UserOut], **ERRORS}, summary="The accounts you may manage, by user name")
@_errors
def list_users(request, q: str = "", active: bool | None = None):
    """`q`: part of the user name. Filtered to the accounts of the caller's scope by the service."""
    by = _caller(request)
    qs = svc.manageable_users(by)
    if q:
        q = q[:150]
        qs = qs.filter(username__icontains=q)
    if active is not None:
        qs = qs.filter(is_active=active)
    return 200, [_out(u) for u in qs[:1000]]


@router.post("", response={201: UserOut, **ERRORS}, summary="Add a user with a role and a scope")
@_errors
def create_user(request, body: UserIn):
    by = _caller(request)
    user = svc.create_user(by, body.username, body.password, body.role, body.scope, email=body.email,
                           first_name=body.first_name, last_name=body.last_name, language=body.language)
    return 201, _out(user)


@router.get("/{username}", response={200: UserOut, **ERRORS}, summary="One account")
@_errors
def get_user(request, username: str):
    return 200, _out(svc.get_user(_caller(request), username))


@router.patch("/{username}", response={200: UserOut, **ERRORS},
              summary="Change role, scope, contact fields or deactivate (is_active false)")
@_errors
def update_user(request, username: str, body: UserPatch):
    by = _caller(request)
    user = svc.get_user(by, username)
    fields = body.dict(exclude_unset=True)
    scope: object = False
    if "scope" in fields:
        scope = fields["scope"] or None
    user = svc.update_user(by, user, role=fields.get("role"), scope=scope,  # type: ignore[arg-type]
                           email=fields.get("email"), first_name=fields.get("first_name"),
                           last_name=fields.get("last_name"), language=fields.get("language"))
    if fields.get("is_active") is not None:
        user = svc.set_active(by, user, fields["is_active"])
    return 200, _out(user)


@router.post("/{username}/deactivate", response={200: UserOut, **ERRORS},
             summary="Deactivate an account: sign-in, sessions and tokens stop working")
@_errors
def deactivate(request, username: str):
    by = _caller(request)
    return 200, _out(svc.set_active(by, svc.get_user(by, username), False))


@router.post("/{username}/activate", response={200: UserOut, **ERRORS}, summary="Reactivate an account")
@_errors
def activate(request, username: str):
    by = _caller(request)
    return 200, _out(svc.set_active(by, svc.get_user(by, username), True))


@router.post("/{username}/password", response={204: None, **ERRORS},
             summary="Set a new password (checked by the password validators)")
@_errors
def reset_password(request, username: str, body: PasswordIn):
    by = _caller(request)
    svc.reset_password(by, svc.get_user(by, username), body.password)
    return 204, None


@router.get("/{username}/tokens", response={200: list[TokenOut], **ERRORS}, summary="A user's API tokens")
@_errors
def tokens(request, username: str):
    by = _caller(request)
    return 200, list(svc.tokens_of(by, svc.get_user(by, username)))


@router.post("/{username}/tokens", response={201: NewTokenOut, **ERRORS},
             summary="Issue an API token; the key is in this answer only")
@_errors
def issue_token(request, username: str, body: TokenIn):
    by = _caller(request)
    key = svc.issue_token(by, svc.get_user(by, username), body.name)
    return 201, {"key": key, "prefix": key[4:12], "name": body.name.strip()}


@router.delete("/{username}/tokens/{prefix}", response={204: None, **ERRORS}, summary="Revoke an API token")
@_errors
def revoke_token(request, username: str, prefix: str):
    by = _caller(request)
    user = svc.get_user(by, username)
    svc.revoke_token(by, svc.find_token(by, prefix, user))
    return 204, None
