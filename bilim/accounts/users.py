"""User administration: add users, set role and scope, deactivate, reset passwords, issue and revoke
API tokens. One service layer for the pages (`bilim.accounts.views`), the API (`bilim.accounts.api`)
and the CLI (`bilim users`); each write is one transaction and one audit record naming the actor.

Who may do it: a role with the `users` write capability (administrators). An administrator with a
scope manages the accounts of its subtree only: it sees and changes users whose scope lies in its
subtree, and assigns scopes from that subtree (never the whole republic). Only a superuser changes a
superuser. Nobody deactivates their own account here (a lock-out with no way back but a shell).
`by=None` is the system operator (`bilim users` without `--user`): every right, recorded as
`cli:<login>`.

Errors are `AccountError`, with the field they concern and a translated message: pages put it on
the field, the API answers 400 naming it, the CLI prints it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from bilim.audit import services as audit
from bilim.registry.models import OrgUnit

from . import permissions as perm
from . import services
from .models import ApiToken, Role, User

# Roles that see nothing without a scope: their accounts must be given one.
SCOPED_ROLES = frozenset({Role.REGION, Role.DISTRICT, Role.ORGANIZATION})
LANGUAGES = ("", "kk", "ru", "en")


class AccountError(Exception):
    """A refused account change: `field` names the input at fault ('' for the request as a whole)."""

    def __init__(self, field: str, message: str, status: int = 400):
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status  # 400 bad input, 403 not allowed, 404 no such user or token


@dataclass(frozen=True)
class Actor:
    """Who makes the change: a user (checked) or the operator (None: unchecked), and the audit name."""

    user: User | None
    name: str

    @classmethod
    def of(cls, user: User | None, name: str = "") -> Actor:
        return cls(user, name or (user.get_username() if user is not None else "cli:operator"))


# --- rules -----------------------------------------------------------------------------------------

def _require_admin(actor: Actor, action: str = perm.WRITE) -> None:
    if actor.user is not None and not perm.has_capability(actor.user, "users", action):
        raise AccountError("", _("Your role may not manage user accounts."), 403)


def _subtree(actor: Actor) -> frozenset[int] | None:
    return None if actor.user is None else perm.scoped_unit_ids(actor.user)


def manageable_users(by: User | None) -> QuerySet[User]:
    """The accounts `by` may see and change, ordered by user name (None: every account)."""
    qs = User.objects.select_related("scope").order_by("username")
    if by is None:
        return qs
    if not perm.has_capability(by, "users", perm.READ):
        return qs.none()
    ids = perm.scoped_unit_ids(by)
    if ids is not None:
        qs = qs.filter(scope_id__in=ids, is_superuser=False)
    return qs


def assignable_units(by: User | None) -> QuerySet[OrgUnit]:
    """The org units `by` may give as a scope, open today, ordered by name (None: all of them)."""
    day = perm.today()
    qs = OrgUnit.objects.filter(Q(opened__isnull=True) | Q(opened__lte=day)) \
        .filter(Q(closed__isnull=True) | Q(closed__gt=day)).order_by("name_en", "name_kk", "code")
    ids = None if by is None else perm.scoped_unit_ids(by)
    return qs if ids is None else qs.filter(pk__in=ids)


def _check_manageable(actor: Actor, user: User) -> None:
    _require_admin(actor)
    if actor.user is None:
        return
    if user.is_superuser and not actor.user.is_superuser:
        raise AccountError("username", _("Only a superuser may change the account %(user)s.")
                           % {"user": user.username}, 403)
    if not manageable_users(actor.user).filter(pk=user.pk).exists():
        raise AccountError("username", _("The account %(user)s is outside your scope.")
                           % {"user": user.username}, 403)


def get_user(by: User | None, username: str) -> User:
    """The account named `username` if `by` may manage it; a 404-like AccountError otherwise."""
    _require_admin(Actor.of(by), perm.READ)
    user = manageable_users(by).filter(username=username).first()
    if user is None:
        raise AccountError("username", _("No user named %(user)s.") % {"user": username}, 404)
    return user


def _role(value: str) -> str:
    value = (value or "").strip().lower()
    if value not in Role.values:
        raise AccountError("role", _("Unknown role %(role)s; one of: %(roles)s.")
                           % {"role": value or "''", "roles": ", ".join(Role.values)})
    return value


def _scope(actor: Actor, value: OrgUnit | str | None, role: str) -> OrgUnit | None:
    """The scope unit for `role`, checked: it exists, is open, lies in the actor's subtree; roles below
    the republic need one, and a scoped administrator cannot hand out the whole republic."""
    unit: OrgUnit | None
    if isinstance(value, OrgUnit):
        unit = value
    else:
        code = (value or "").strip()
        unit = None
        if code:
            unit = OrgUnit.objects.filter(code=code).first()
            if unit is None:
                raise AccountError("scope", _("No org unit with the code %(code)s.") % {"code": code})
    if unit is None:
        if role in SCOPED_ROLES:
            raise AccountError("scope", _("The role %(role)s needs a scope: the org unit whose subtree the "
                                          "user works in.") % {"role": Role(role).label})
        if _subtree(actor) is not None:
            raise AccountError("scope", _("Your own scope is limited: give the user a scope inside it."))
        return None
    if not unit.exists_on(perm.today()):
        raise AccountError("scope", _("%(code)s is closed; choose an org unit that exists today.")
                           % {"code": unit.code})
    ids = _subtree(actor)
    if ids is not None and unit.pk not in ids:
        raise AccountError("scope", _("%(code)s is outside your scope.") % {"code": unit.code}, 403)
    return unit


def _password(password: str, user: User) -> None:
    if not password:
        raise AccountError("password", _("Give a password."))
    try:
        validate_password(password, user)
    except ValidationError as e:
        raise AccountError("password", " ".join(e.messages)) from None


def _snapshot(user: User) -> dict[str, Any]:
    return {"username": user.username, "role": user.role, "scope": user.scope.code if user.scope_id else None,
            "is_active": user.is_active, "email": user.email, "first_name": user.first_name,
            "last_name": user.last_name, "language": user.language}


# --- writes ----------------------------------------------------------------------------------------

@transaction.atomic
def create_user(by: User | None, username: str, password: str, role: str, scope: OrgUnit | str | None = None,
                *, email: str = "", first_name: str = "", last_name: str = "", language: str = "",
                actor: str = "") -> User:
    """Add an account with a role and a scope; the password must pass the password validators."""
    who = Actor.of(by, actor)
    _require_admin(who)
    username = (username or "").strip()
    if not username:
        raise AccountError("username", _("Give a user name."))
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        raise AccountError("username", _("A user name has at most 150 letters, digits and @ . + - _ "
                                         "(no spaces).")) from None
    if len(username) > 150:
        raise AccountError("username", _("A user name has at most 150 letters, digits and @ . + - _ "
                                         "(no spaces)."))
    if User.objects.filter(username__iexact=username).exists():
        raise AccountError("username", _("The user name %(user)s is taken.") % {"user": username})
    role = _role(role)
    unit = _scope(who, scope, role)
    if language not in LANGUAGES:
        raise AccountError("language", _("Unknown language %(lang)s; one of kk, ru, en.") % {"lang": language})
    user = User(username=username, role=role, scope=unit, email=(email or "").strip(),
                first_name=(first_name or "").strip(), last_name=(last_name or "").strip(), language=language)
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as e:
        field, messages = next(iter(e.message_dict.items()))
        raise AccountError(field, " ".join(messages)) from None
    _password(password, user)
    user.set_password(password)
    user.save()
    audit.record(who.name, "accounts.user_create", "User", user.username, None, _snapshot(user))
    return user


@transaction.atomic
def update_user(by: User | None, user: User, *, role: str | None = None, scope: OrgUnit | str | None | bool = False,
                email: str | None = None, first_name: str | None = None, last_name: str | None = None,
                language: str | None = None, actor: str = "") -> User:
    """Change role, scope (False: keep; None or '': none) and contact fields; audited with before/after."""
    who = Actor.of(by, actor)
    _check_manageable(who, user)
    before = _snapshot(user)
    new_role = _role(role) if role is not None else user.role
    if scope is not False:
        user.scope = _scope(who, scope if scope is not True else None, new_role)
    elif role is not None:
        user.scope = _scope(who, user.scope, new_role)  # the kept scope must suit the new role
    user.role = new_role
    if email is not None:
        user.email = email.strip()
    if first_name is not None:
        user.first_name = first_name.strip()
    if last_name is not None:
        user.last_name = last_name.strip()
    if language is not None:
        if language not in LANGUAGES:
            raise AccountError("language", _("Unknown language %(lang)s; one of kk, ru, en.") % {"lang": language})
        user.language = language
    try:
        user.full_clean(exclude=["password", "username"])
    except ValidationError as e:
        field, messages = next(iter(e.message_dict.items()))
        raise AccountError(field, " ".join(messages)) from None
    after = _snapshot(user)
    if after == before:
        return user
    user.save()
    action = "accounts.role_change" if (before["role"], before["scope"]) != (after["role"], after["scope"]) \
        else "accounts.user_change"
    audit.record(who.name, action, "User", user.username, before, after)
    return user


@transaction.atomic
def set_active(by: User | None, user: User, active: bool, *, actor: str = "") -> User:
    """Deactivate (or reactivate) an account. An inactive account cannot sign in, and its API tokens
    and sessions stop working at once (they are checked against `is_active` on every request)."""
    who = Actor.of(by, actor)
    _check_manageable(who, user)
    if not active and who.user is not None and who.user.pk == user.pk:
        raise AccountError("username", _("You cannot deactivate your own account."))
    if user.is_active == active:
        return user
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit.record(who.name, "accounts.user_activate" if active else "accounts.user_deactivate", "User",
                 user.username, {"is_active": not active}, {"is_active": active})
    return user


@transaction.atomic
def reset_password(by: User | None, user: User, password: str, *, actor: str = "") -> None:
    """Set a new password (validated like every password); the record says who, never the password."""
    who = Actor.of(by, actor)
    _check_manageable(who, user)
    _password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit.record(who.name, "accounts.password_reset", "User", user.username, None, {"password": "changed"})


def issue_token(by: User | None, user: User, name: str = "", *, actor: str = "") -> str:
    """A new API token for `user`; the key is returned once and never stored."""
    who = Actor.of(by, actor)
    _check_manageable(who, user)
    if len(name or "") > 100:
        raise AccountError("name", _("A token name has at most 100 characters."))
    if not user.is_active:
        raise AccountError("username", _("The account %(user)s is inactive.") % {"user": user.username})
    return services.issue_token(user, (name or "").strip(), actor=who.name)


def tokens_of(by: User | None, user: User) -> QuerySet[ApiToken]:
    """The tokens of `user`, newest first (prefix, name, dates; never a key)."""
    _check_manageable(Actor.of(by), user)
    return ApiToken.objects.filter(user=user).order_by("-created")


def find_token(by: User | None, prefix: str, user: User | None = None) -> ApiToken:
    """The one unrevoked token whose key starts with `prefix` (the 8 characters after 'bil_'), among the
    accounts `by` may manage (and of `user`, when given)."""
    prefix = (prefix or "").strip().removeprefix("bil_")[:8]
    if len(prefix) < 4:
        raise AccountError("prefix", _("Give at least the first 4 characters of the token (after bil_)."))
    qs = ApiToken.objects.select_related("user").filter(prefix__startswith=prefix, revoked__isnull=True,
                                                        user__in=manageable_users(by))
    if user is not None:
        qs = qs.filter(user=user)
    found = list(qs[:2])
    if not found:
        raise AccountError("prefix", _("No active token starts with %(prefix)s.") % {"prefix": prefix}, 404)
    if len(found) > 1:
        raise AccountError("prefix", _("More than one token starts with %(prefix)s; give more characters.")
                           % {"prefix": prefix})
    return found[0]


def revoke_token(by: User | None, token: ApiToken, *, actor: str = "") -> None:
    """Revoke a token at once; recorded with the actor."""
    who = Actor.of(by, actor)
    _check_manageable(who, token.user)
    if token.revoked is not None:
        raise AccountError("prefix", _("The token %(prefix)s is already revoked.") % {"prefix": token.prefix})
    services.revoke_token(token, actor=who.name)
