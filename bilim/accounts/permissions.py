"""Who may do what, and where: role capabilities per endpoint family, and scope (a subtree as of today).

One table serves the API, the web pages and the CLI, so a rule is written once (the CLI applies it
when a command is run as a user: `bilim.accounts.cli`, `--user`/BILIM_USER). The API layer
(`bilim.api.api`) looks every request up in `rule_for`; an operation with no rule is refused, and
`tests/security/test_api_rules.py` fails when a new endpoint appears without one. Every web view
carries a rule too (`permission_required(family, action)`, or `no_permission_required` for the
language switch), and `tests/security/test_page_rules.py` walks the URL map and fails when a view
has none.

Scope: a user's `scope` is the root of the subtree they may see, evaluated on today's hierarchy.
Administrators, ministry analysts, the collegium secretariat and the public have the whole republic
when `scope` is empty; region, district and organization accounts without a scope see nothing
(a misconfigured account fails closed). The public never sees a single organization: only
aggregates of the republic, regions and districts (`PUBLIC_UNIT_KINDS`).

Unapproved data (`values_reader`, `can_read_values`): the values of a form for a unit and period
climb the approval chain with the form — the reporting unit (c0), the level above it that approves
it (c1, e.g. the district), then the region (c2) and the republic (c3), on the hierarchy of the
period's census date. Let `climbed` be the number of units of that chain, from c0 up, whose form is
no longer open (submitted, approved, accepted). A user whose level on the chain is `k` — the chain
unit of the same kind as their scope, else the highest chain unit in their scope; the republic for
national accounts — may read the values only when `k <= max(1, climbed)`:

* the reporting unit and the level directly above it always see them (they enter and check them;
  a district office may key in its schools' forms);
* the region sees them once the district has approved, the ministry once the region has approved;
* administrators see everything.

On top of this comes the role (the `data` family) and the scope (the unit must be in the subtree).
It guards the read paths of raw values: the data-entry grid (GET and POST), the validation results
(pages and `/api/v1/collection/validation/...`). Indicator aggregates (the analytics warehouse, SDMX)
are computed from every stored value and are not filtered by approval.

Pages (`tests/security/test_page_rules.py` holds the table): registry browser, its exports and the
org-unit profile → registry (lists filtered to the scope, a unit outside it → 403); overview, region
comparison and equity → analytics (they show republic and region aggregates only — what the public
may see — to every role that reads analytics); collection pages → data (entry: read on GET, write on
POST; workflow actions: write, then the workflow's own level check); competences → authority;
meetings, instructions, control → governance; capital projects → projects (their lists, aggregates
and cards are filtered to the scope by `bilim.governance.selectors` and `bilim.projects.selectors`, a
record outside it → 403). Units named in a page's query (`region`, `responsible`, `unit`, `body`, `ou`)
must be in the caller's scope.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from .models import Role

READ, WRITE = "read", "write"

FAMILIES = ("registry", "metadata", "data", "analytics", "governance", "authority", "projects", "audit", "users")

_ALL = frozenset(FAMILIES)
CAPABILITIES: dict[str, dict[str, frozenset[str]]] = {
    Role.ADMIN: {READ: _ALL, WRITE: _ALL},
    Role.MINISTRY: {
        READ: _ALL - {"users"},
        # the ministry records restructurings and legal acts: the registry is national (see the rules below)
        WRITE: frozenset({"registry", "metadata", "data", "analytics", "governance", "authority", "projects"}),
    },
    Role.REGION: {
        READ: frozenset({"registry", "metadata", "data", "analytics", "governance", "authority", "projects"}),
        WRITE: frozenset({"data", "governance", "projects"}),
    },
    Role.DISTRICT: {
        READ: frozenset({"registry", "metadata", "data", "analytics", "governance", "authority", "projects"}),
        WRITE: frozenset({"data", "governance"}),
    },
    Role.ORGANIZATION: {
        READ: frozenset({"registry", "metadata", "data", "analytics"}),
        WRITE: frozenset({"data"}),
    },
    Role.SECRETARIAT: {
        READ: frozenset({"registry", "metadata", "analytics", "governance", "authority", "projects"}),
        WRITE: frozenset({"governance"}),
    },
    Role.PUBLIC: {READ: frozenset({"metadata", "analytics"}), WRITE: frozenset()},
}

# Roles whose empty scope means "the whole republic"; the others need a scope to see anything.
NATIONAL_ROLES = frozenset({Role.ADMIN, Role.MINISTRY, Role.SECRETARIAT, Role.PUBLIC})
# Unit kinds whose aggregates the public may ask for (never a single organization's figures).
PUBLIC_UNIT_KINDS = frozenset({"republic", "region", "district"})


def role_of(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ""
    if user.is_superuser:
        return Role.ADMIN
    return user.role


def has_capability(user, family: str, action: str = READ) -> bool:
    caps = CAPABILITIES.get(role_of(user))
    return bool(caps) and family in caps[action]


def require_capability(user, family: str, action: str = READ) -> None:
    if not has_capability(user, family, action):
        raise PermissionDenied(f"Your role may not {action} {family}")


# --- scope -----------------------------------------------------------------------------------------

def today() -> dt.date:
    return timezone.localdate()


def has_national_scope(user) -> bool:
    role = role_of(user)
    return role in NATIONAL_ROLES and user.scope_id is None


def scoped_unit_ids(user, day: dt.date | None = None) -> frozenset[int] | None:
    """Ids of the units `user` may see on `day` (default today): the scope and its subtree.

    None means no restriction (the whole republic). An empty set means nothing.
    """
    if not role_of(user):
        return frozenset()
    if has_national_scope(user):
        return None
    if user.scope_id is None:
        return frozenset()
    day = day or today()
    cache = user.__dict__.setdefault("_bilim_scope_cache", {})
    if day not in cache:
        from bilim.registry.selectors import descendant_ids

        cache[day] = frozenset([user.scope_id, *descendant_ids(user.scope, day)])
    return cache[day]


def family_scope(user, family: str) -> frozenset[int] | None:
    """The unit ids whose `family` records `user` may read: none without the capability, None for no
    restriction (national users, and internal callers that pass no user)."""
    if user is None:
        return None
    if not has_capability(user, family, READ):
        return frozenset()
    return scoped_unit_ids(user)


def can_read_unit(user, unit, day: dt.date | None = None) -> bool:
    """True when `unit` lies in the user's subtree (public: only republic, region and district aggregates)."""
    if unit is None:
        return False
    if role_of(user) == Role.PUBLIC and unit.kind not in PUBLIC_UNIT_KINDS:
        return False
    ids = scoped_unit_ids(user, day)
    return ids is None or unit.pk in ids


def can_write_unit(user, unit, family: str = "data", day: dt.date | None = None) -> bool:
    return has_capability(user, family, WRITE) and can_read_unit(user, unit, day)


def require_unit(user, unit, action: str = READ, family: str = "data", day: dt.date | None = None) -> None:
    ok = can_read_unit(user, unit, day) if action == READ else can_write_unit(user, unit, family, day)
    if not ok:
        raise PermissionDenied(f"{getattr(unit, 'code', unit)} is outside your scope")


def filter_units(qs, user, day: dt.date | None = None, field: str = "pk"):
    """Restrict a queryset to the user's scope; `field` names the org-unit id column (e.g. 'org_unit_id')."""
    ids = scoped_unit_ids(user, day)
    if role_of(user) == Role.PUBLIC:
        lookup = "kind__in" if field == "pk" else field.removesuffix("_id") + "__kind__in"
        qs = qs.filter(**{lookup: PUBLIC_UNIT_KINDS})
    if ids is None:
        return qs
    return qs.filter(**{f"{field}__in": ids})


# --- the API rule table ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    family: str
    action: str | None = None  # None: read for GET/HEAD/OPTIONS, write otherwise
    # True when the endpoint itself filters its results to the caller's scope (filter_units), so
    # scoped users may call it without naming a unit. Otherwise a scoped user must name a unit in
    # one of UNIT_PARAMS, and every unit named is checked.
    scope_filtered: bool = False
    path_unit_param: str | None = None  # a path parameter that is an org-unit code
    # True for the indicator endpoints: they build an `IndicatorQuery` and take the access decision
    # on it (`decide_access`); `check_api_request` checks only the role and guesses no units.
    query_decides: bool = False

    def action_for(self, method: str) -> str:
        return self.action or (READ if method.upper() in ("GET", "HEAD", "OPTIONS") else WRITE)


# Top-level API prefixes (`PREFIX` of each app's api module) and their families. A router mounted
# under a prefix missing here gets no rule: every call is refused and the rule-coverage test fails.
PREFIX_FAMILIES: dict[str, str] = {
    "/orgunits": "registry",
    "/registry": "registry",
    "/metadata": "metadata",
    "/catalogue": "metadata",
    "/datasets": "metadata",
    "/values": "data",
    "/datavalues": "data",
    "/collection": "data",
    "/approval": "data",
    "/exchange": "data",
    "/analytics": "analytics",
    "/indicators": "analytics",
    "/governance": "governance",
    "/authority": "authority",
    "/projects": "projects",
    "/audit": "audit",
    "/accounts": "users",
    "/users": "users",
}

# Query parameters that name org units; every unit they name must be in the caller's scope.
UNIT_PARAMS = ("org_unit", "orgunit", "org_units", "ou_code", "unit", "ou", "parent", "region", "district",
               "within", "responsible", "body", "school")

# Per-operation rules, keyed by (METHOD, path template under /api/v1). They win over the prefix.
OPERATION_RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/orgunits"): Rule("registry", scope_filtered=True),
    ("GET", "/orgunits/{code}"): Rule("registry", path_unit_param="code"),
    ("GET", "/orgunits/{code}/children"): Rule("registry", path_unit_param="code"),
    ("GET", "/orgunits/{code}/history"): Rule("registry", path_unit_param="code"),
    ("GET", "/authority/bodies/{code}/powers"): Rule("authority", path_unit_param="code"),
    # the import checks every row's unit against the caller's scope itself (exchange.jobs.scope_filter)
    ("POST", "/exchange/import"): Rule("data", scope_filtered=True),
    # the stored values, as `bilim export --user` writes them: the endpoint checks every unit its
    # `orgUnit` selection names (DHIS2's camelCase, not one of UNIT_PARAMS), defaults a scoped caller
    # to their scope unit and keeps only the values `value_rows_reader` lets the caller read
    ("GET", "/exchange/values"): Rule("data", scope_filtered=True),
    # catalogue-level reads that reveal no unit's data
    ("GET", "/analytics/indicators"): Rule("analytics", scope_filtered=True),
    # indicator questions: scope, the public's aggregates-only rule and the reader level are decided
    # on the parsed query (`decide_access`), for every way of naming units
    ("GET", "/analytics"): Rule("analytics", query_decides=True),
    ("GET", "/analytics/explain"): Rule("analytics", query_decides=True),
    ("GET", "/analytics/parity"): Rule("analytics", query_decides=True),
    ("GET", "/analytics/equity"): Rule("analytics", query_decides=True),
    ("GET", "/analytics/composite"): Rule("analytics", query_decides=True),
    ("GET", "/exchange/sdmx"): Rule("data", query_decides=True),
    ("GET", "/collection/rules"): Rule("metadata", scope_filtered=True),
    ("GET", "/authority/competences"): Rule("authority", scope_filtered=True),
    ("GET", "/authority/competences/{code}/history"): Rule("authority", scope_filtered=True),
    # governance and projects answer with the records in the caller's scope (their selectors filter;
    # a record outside it is a 403); a unit named in `responsible` or `region` is still checked
    ("GET", "/governance/meetings"): Rule("governance", scope_filtered=True),
    ("GET", "/governance/meetings/{code}"): Rule("governance", scope_filtered=True),
    ("GET", "/governance/instructions"): Rule("governance", scope_filtered=True),
    ("GET", "/governance/instructions/{code}"): Rule("governance", scope_filtered=True),
    ("GET", "/governance/control"): Rule("governance", scope_filtered=True),
    ("GET", "/projects/projects"): Rule("projects", scope_filtered=True),
    ("GET", "/projects/projects/{code}"): Rule("projects", scope_filtered=True),
    ("GET", "/projects/dashboard"): Rule("projects", scope_filtered=True),
    ("GET", "/projects/map"): Rule("projects", scope_filtered=True),
    # user administration: `bilim.accounts.users` filters the accounts to the caller's subtree and
    # checks every scope it is given (in the body, which this table does not see)
    **{(m, p): Rule("users", scope_filtered=True) for m, p in [
        ("GET", "/users"), ("POST", "/users"), ("GET", "/users/{username}"), ("PATCH", "/users/{username}"),
        ("POST", "/users/{username}/deactivate"), ("POST", "/users/{username}/activate"),
        ("POST", "/users/{username}/password"), ("GET", "/users/{username}/tokens"),
        ("POST", "/users/{username}/tokens"), ("DELETE", "/users/{username}/tokens/{prefix}")]},
    # governance and projects writes: the services check the units of the body (organizer,
    # responsible body, territory, owner) against the caller's scope and refuse outside it (403)
    **{(m, p): Rule("governance", WRITE, scope_filtered=True) for m, p in (
        ("POST", "/governance/meetings"), ("PATCH", "/governance/meetings/{code}"),
        ("DELETE", "/governance/meetings/{code}"),
        ("POST", "/governance/meetings/{code}/participants"), ("POST", "/governance/meetings/{code}/agenda"),
        ("POST", "/governance/meetings/{code}/reports"), ("POST", "/governance/meetings/{code}/proposals"),
        ("DELETE", "/governance/meetings/{code}/participants/{item_id}"),
        ("DELETE", "/governance/meetings/{code}/agenda/{item_id}"),
        ("DELETE", "/governance/meetings/{code}/reports/{item_id}"),
        ("DELETE", "/governance/meetings/{code}/proposals/{item_id}"),
        ("POST", "/governance/instructions"), ("PATCH", "/governance/instructions/{code}"),
        ("DELETE", "/governance/instructions/{code}"), ("POST", "/governance/instructions/{code}/status"),
        ("POST", "/governance/instructions/{code}/extensions"), ("POST", "/governance/instructions/{code}/reports"),
    )},
    **{(m, p): Rule("projects", WRITE, scope_filtered=True) for m, p in (
        ("POST", "/projects/programmes"), ("PATCH", "/projects/programmes/{code}"),
        ("DELETE", "/projects/programmes/{code}"),
        ("POST", "/projects/projects"), ("PATCH", "/projects/projects/{code}"),
        ("DELETE", "/projects/projects/{code}"), ("POST", "/projects/projects/{code}/status"),
        ("PUT", "/projects/projects/{code}/budget/{year}"), ("DELETE", "/projects/projects/{code}/budget/{year}"),
        ("POST", "/projects/projects/{code}/stages"), ("PATCH", "/projects/projects/{code}/stages/{stage_id}"),
        ("DELETE", "/projects/projects/{code}/stages/{stage_id}"),
    )},
    ("GET", "/projects/programmes"): Rule("projects", scope_filtered=True),
    ("GET", "/projects/timeline"): Rule("projects", scope_filtered=True),
    # registry writes: legal acts name no unit; events name their units in the body, and the endpoint
    # checks every one against the caller's scope (bilim.registry.api.require_plan_units)
    ("GET", "/registry/acts"): Rule("registry", scope_filtered=True),
    ("POST", "/registry/acts"): Rule("registry", scope_filtered=True),
    ("GET", "/registry/acts/{act_id}"): Rule("registry", scope_filtered=True),
    ("PATCH", "/registry/acts/{act_id}"): Rule("registry", scope_filtered=True),
    ("DELETE", "/registry/acts/{act_id}"): Rule("registry", scope_filtered=True),
    ("GET", "/registry/events"): Rule("registry", scope_filtered=True),
    ("GET", "/registry/events/{event_id}"): Rule("registry", scope_filtered=True),
    ("POST", "/registry/events"): Rule("registry", scope_filtered=True),
    ("POST", "/registry/events/preview"): Rule("registry", WRITE, scope_filtered=True),
    ("POST", "/registry/events/{event_id}/reversal"): Rule("registry", scope_filtered=True),
    ("POST", "/registry/events/{event_id}/reversal/preview"): Rule("registry", WRITE, scope_filtered=True),
    # authority writes check the bodies and scopes named in the body (bilim.authority.api)
    ("POST", "/authority/competences"): Rule("authority", scope_filtered=True),
    ("PATCH", "/authority/competences/{code}"): Rule("authority", scope_filtered=True),
    ("DELETE", "/authority/competences/{code}"): Rule("authority", scope_filtered=True),
    ("POST", "/authority/competences/{code}/assignments"): Rule("authority", scope_filtered=True),
    ("GET", "/authority/delegations"): Rule("authority", scope_filtered=True),
    ("POST", "/authority/delegations"): Rule("authority", scope_filtered=True),
    ("GET", "/authority/delegations/{delegation_id}"): Rule("authority", scope_filtered=True),
    ("PATCH", "/authority/delegations/{delegation_id}"): Rule("authority", scope_filtered=True),
    ("POST", "/authority/delegations/{delegation_id}/revocation"): Rule("authority", scope_filtered=True),
}


def normalize_path(path: str) -> str:
    """'/orgunits/<code>' or '/governance/instructions/{path:code}' -> '/orgunits/{code}', ...'/{code}'."""
    import re

    path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)
    path = re.sub(r"\{(?:\w+:)?(\w+)\}", r"{\1}", path)
    path = "/" + path.strip("/")
    return path if path != "/" else ""


def rule_for(method: str, path: str) -> Rule | None:
    """The rule of an operation: an explicit entry, else its prefix family; None when there is none."""
    path = normalize_path(path)
    explicit = OPERATION_RULES.get((method.upper(), path))
    if explicit:
        return explicit
    for prefix in sorted(PREFIX_FAMILIES, key=len, reverse=True):
        if path == prefix or path.startswith(prefix + "/"):
            return Rule(PREFIX_FAMILIES[prefix])
    return None


def _unit_codes(values: Iterable[str], param: str = "ou") -> list[str]:
    """The unit codes of query or path parameters (`;`/`,` separated), split by the one splitter of
    `bilim.analytics.query` (control characters are a 400 naming the parameter)."""
    from bilim.analytics.query import split_items

    return split_items([str(v) for v in values], param)


def check_api_request(request, user) -> None:
    """Raise PermissionDenied unless `user` may make this API request (role, then scope).

    Indicator endpoints (`Rule.query_decides`) get the role check only: they decide scope and the
    public's rule on their parsed query (`decide_access`). The others name units in their path
    parameter or in one of `UNIT_PARAMS`, as plain codes, and each must be in the caller's scope."""
    match = getattr(request, "resolver_match", None)
    route = match.route if match else request.path
    route = route.split("api/v1", 1)[-1]
    rule = rule_for(request.method, route)
    if rule is None:
        raise PermissionDenied("This endpoint has no permission rule; it is refused until one is declared")
    action = rule.action_for(request.method)
    require_capability(user, rule.family, action)
    if rule.query_decides:
        return

    codes: list[str] = []
    path_kwargs = match.kwargs if match else {}
    if rule.path_unit_param:
        codes += _unit_codes([path_kwargs.get(rule.path_unit_param, "")], rule.path_unit_param)
    for name in UNIT_PARAMS:
        codes += _unit_codes(request.GET.getlist(name), name)
        if name in path_kwargs and name != rule.path_unit_param:
            codes += _unit_codes([path_kwargs[name]], name)
    public = role_of(user) == Role.PUBLIC
    scoped = scoped_unit_ids(user) is not None
    # what these endpoints read of the warehouse (e.g. the projects' deficit) is answered at the
    # user's approval level inside their scope, at the public's outside it
    _set_reader_level(analytics_level(user) if not scoped or codes else 4)
    if not (scoped or public):
        return
    if not codes and not rule.scope_filtered and not public:
        raise PermissionDenied("Name an org unit in your scope (this endpoint is not filtered by scope)")
    if len(codes) > 500:
        raise PermissionDenied("Too many org units in one request (at most 500)")
    if codes:
        from bilim.registry.models import OrgUnit

        units = {u.code: u for u in OrgUnit.objects.filter(code__in=codes)}
        for code in codes:
            unit = units.get(code)
            if unit is not None and not (can_write_unit(user, unit, rule.family) if action == WRITE
                                         else can_read_unit(user, unit)):
                raise PermissionDenied(f"{code} is outside your scope")


def _set_reader_level(level: int) -> None:
    """For the rest of this request (the middleware restores the previous level afterwards)."""
    from bilim.analytics.service import reader_level

    reader_level.set(level)


# --- web views -------------------------------------------------------------------------------------

BY_METHOD = None  # a page action: read for GET/HEAD/OPTIONS, write for anything else
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class PageRule:
    """The rule attached to a web view as `view.bilim_permission` (read by the page-coverage test)."""

    family: str | None  # None: open to anyone (see `no_permission_required`)
    action: str | None = READ  # READ, WRITE or BY_METHOD
    unit_params: tuple[str, ...] = ()
    reason: str = ""

    def action_for(self, method: str) -> str:
        return self.action or (READ if method.upper() in SAFE_METHODS else WRITE)


def require_named_units(user, params, names: Iterable[str], action: str = READ, family: str = "data") -> None:
    """Raise PermissionDenied unless every org unit named in `params[name]` (codes, ',' or ';' separated)
    is in the user's scope. Codes that name no unit are left to the view (usually a 404 or a message)."""
    codes: list[str] = []
    for name in names:
        codes += _unit_codes(params.getlist(name) if hasattr(params, "getlist") else [params.get(name, "")])
    if not codes:
        return
    if scoped_unit_ids(user) is None and role_of(user) != Role.PUBLIC:
        return
    from bilim.registry.models import OrgUnit

    units = {u.code: u for u in OrgUnit.objects.filter(code__in=codes[:50])}
    for code in codes:
        unit = units.get(code)
        if unit is not None:
            require_unit(user, unit, action, family)


def permission_required(family: str, action: str | None = READ, *, unit_params: Iterable[str] = ()):
    """Decorator for Django views: sign-in required (else a redirect to the login page), then the role
    capability of `family` for `action` (BY_METHOD: read for GET, write for POST), then the scope of
    every org unit named in the query parameters `unit_params`; PermissionDenied (403) otherwise.

    The view still checks the units it takes from its path (`require_unit`) and filters its lists
    (`filter_units`); this decorator only knows the family."""
    if family not in FAMILIES:
        raise ValueError(f"unknown permission family {family!r}; one of {', '.join(FAMILIES)}")
    if action not in (READ, WRITE, BY_METHOD):
        raise ValueError(f"unknown action {action!r}")
    rule = PageRule(family, action, tuple(unit_params))

    def deco(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            from django.contrib.auth.views import redirect_to_login

            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            act = rule.action_for(request.method or "GET")
            require_capability(request.user, family, act)
            if rule.unit_params:
                require_named_units(request.user, request.GET, rule.unit_params, act, family)
            return view(request, *args, **kwargs)

        wrapper.bilim_permission = rule  # type: ignore[attr-defined]
        return wrapper

    return deco


def no_permission_required(reason: str):
    """Mark a view that anyone may call (it reveals and changes nothing of the data), saying why."""
    if not reason.strip():
        raise ValueError("say why the view needs no permission")

    def deco(view):
        view.bilim_permission = PageRule(None, None, reason=reason)  # type: ignore[attr-defined]
        return view

    return deco


def capabilities_of(user) -> dict[str, dict[str, bool]]:
    """{'read': {family: bool}, 'write': {family: bool}} for templates (which links to show)."""
    return {action: {f: has_capability(user, f, action) for f in FAMILIES} for action in (READ, WRITE)}


# --- unapproved data -------------------------------------------------------------------------------

def values_reader(user, data_set, period: str):
    """A predicate `unit -> bool`: may `user` read the stored values of `data_set` for `period` at `unit`?

    Role (data, read), scope, and the approval rule of the module docstring. The form's tree and its
    approval states are read once, so the predicate is cheap to call for many units.
    """
    if not has_capability(user, "data", READ):
        return lambda unit: False
    if role_of(user) == Role.ADMIN:
        return lambda unit: can_read_unit(user, unit)

    from bilim.approval import selectors as approval
    from bilim.approval.models import ApprovalState, Status
    from bilim.metadata import periods
    from bilim.registry.models import OrgUnit

    code = periods.parse(period).code
    tree = approval.form_tree(data_set, code)
    not_open = set(ApprovalState.objects.filter(data_set=data_set, period=code).exclude(status=Status.OPEN)
                   .values_list("org_unit_id", flat=True))
    ids = scoped_unit_ids(user)
    scope_kind = user.scope.kind if user.scope_id is not None else None
    kinds: dict[int, str] = {}

    def level_on(chain: list[int]) -> int | None:
        if ids is None:
            return len(chain) - 1
        missing = [pk for pk in chain if pk not in kinds]
        if missing:
            kinds.update(OrgUnit.objects.filter(pk__in=missing).values_list("pk", "kind"))
        for k, pk in enumerate(chain):
            if kinds.get(pk) == scope_kind:
                return k
        inside = [k for k, pk in enumerate(chain) if pk in ids]
        return max(inside) if inside else None

    def visible(unit) -> bool:
        if not can_read_unit(user, unit):
            return False
        chain = approval.approval_chain(unit.pk, tree.parent)
        level = level_on(chain)
        return level is not None and level <= max(1, approval.climbed(chain, not_open))

    return visible


def can_read_values(user, unit, data_set, period: str) -> bool:
    """May `user` read the stored values of `data_set` for `period` at `unit` (role, scope, approval)?"""
    return values_reader(user, data_set, period)(unit)


def require_values(user, unit, data_set, period: str) -> None:
    from django.utils.translation import gettext as _

    if not can_read_values(user, unit, data_set, period):
        raise PermissionDenied(_("The values of %(form)s for %(unit)s in %(period)s are not approved up to "
                                 "your level yet, or lie outside your scope.")
                               % {"form": data_set.code, "unit": unit.code, "period": period})


def value_rows_reader(user):
    """A predicate `(data element code, period code, org unit code) -> bool` for streams of stored
    values (exports): may `user` read that value?

    Role (data, read), scope, and the approval rule of `values_reader` for every form that collects
    the element from that kind of unit (its org types name the unit's type or kind); the value of an
    element no such form collects is guarded by the role and the scope only. Units are loaded once
    and verdicts are cached per form, period and unit, so the predicate is cheap on long streams.
    """
    if not has_capability(user, "data", READ):
        return lambda data_element, period, org_unit: False

    from bilim.metadata.models import DataSet
    from bilim.registry.models import OrgUnit

    forms_of: dict[str, list[tuple[DataSet, frozenset[str]]]] = {}
    for ds in DataSet.objects.prefetch_related("data_elements").order_by("code"):
        for de in ds.data_elements.all():
            forms_of.setdefault(de.code, []).append((ds, frozenset(ds.org_types or [])))
    units: dict[str, OrgUnit] = {}
    forms_for: dict[tuple[str, str, str], tuple[DataSet, ...]] = {}
    readers: dict[tuple[int, str], Callable[[OrgUnit], bool]] = {}
    verdicts: dict[tuple[tuple[int, ...], str, str], bool] = {}

    def readable(data_element: str, period: str, org_unit: str) -> bool:
        if not units:
            units.update((u.code, u) for u in OrgUnit.objects.only("id", "code", "kind", "org_type"))
        unit = units.get(org_unit)
        if unit is None:
            return False
        key = (data_element, unit.org_type, unit.kind)
        if key not in forms_for:
            forms_for[key] = tuple(ds for ds, types in forms_of.get(data_element, [])
                                   if types & {unit.org_type, unit.kind})
        forms = forms_for[key]
        vkey = (tuple(ds.pk for ds in forms), period, org_unit)
        if vkey not in verdicts:
            ok = can_read_unit(user, unit)
            for ds in forms:
                if not ok:
                    break
                if (ds.pk, period) not in readers:
                    readers[(ds.pk, period)] = values_reader(user, ds, period)
                ok = readers[(ds.pk, period)](unit)
            verdicts[vkey] = ok
        return verdicts[vkey]

    return readable


# --- unapproved data in aggregates -----------------------------------------------------------------

# Reader levels of the analytics warehouse (bilim.analytics.visibility): the value of a unit is in a
# reader's aggregates once its form has climbed the approval chain to the reader's level.
_ANALYTICS_LEVEL = {Role.ADMIN: 0, Role.ORGANIZATION: 0, Role.DISTRICT: 1, Role.REGION: 2, Role.MINISTRY: 3,
                    Role.SECRETARIAT: 3, Role.PUBLIC: 4}


def analytics_level(user) -> int:
    """The approval level of `user`'s aggregates inside their scope (what `values_reader` lets them
    read): a district office sees its schools at once, a region once the district approved, the
    ministry once the region approved, the public once the republic accepted; administrators see all.
    Anonymous callers and unknown roles get the public level. An organization asks only about
    itself (its scope), whose values it always sees."""
    return _ANALYTICS_LEVEL.get(role_of(user), 4)


def national_view_level(user) -> int:
    """The level for pages that show republic and region aggregates to every analytics role (overview,
    region comparison, equity): a user with a limited scope sees there what the public sees, since
    those figures are outside their subtree."""
    return analytics_level(user) if has_national_scope(user) else 4


# --- indicator questions: the one access decision ---------------------------------------------------

@dataclass(frozen=True)
class AccessDecision:
    """The access decision on one `IndicatorQuery` (`decide_access`): the query with the reader's
    approval level, and the units its answer may name — the caller's subtree *today* (None: any),
    and for the public only aggregates (republic, region, district).

    The unit rule is enforced twice, on purpose: the units named are refused up front, and every
    answer is filtered (`filter`, `fold`), because a past hierarchy (`as_of`, `mode=historical`,
    `CHILDREN-`, `LEVEL-`) can put under a unit of the scope a school that lies outside it today."""

    query: object  # bilim.analytics.query.IndicatorQuery
    reader_level: int
    unit_ids: frozenset[int] | None = None
    public: bool = False

    @property
    def restricted(self) -> bool:
        return self.unit_ids is not None or self.public

    def allowed_codes(self, codes: Iterable[str]) -> set[str]:
        """The codes among `codes` whose units the answer may name."""
        codes = {str(c) for c in codes if c is not None}
        if not self.restricted:
            return codes
        from bilim.registry.models import OrgUnit

        allowed = set()
        for code, pk, kind in OrgUnit.objects.filter(code__in=codes).values_list("code", "pk", "kind"):
            if self.public and kind not in PUBLIC_UNIT_KINDS:
                continue
            if self.unit_ids is not None and pk not in self.unit_ids:
                continue
            allowed.add(code)
        return allowed

    def filter(self, df, column: str = "ou_code"):
        """The rows of `df` whose unit (`column`) the reader may see."""
        if not self.restricted or df is None or len(df) == 0:
            return df
        keep = self.allowed_codes(df[column].unique())
        return df[df[column].isin(keep)].reset_index(drop=True)

    def fold(self, contributions):
        """Explain's contributions with those of units the reader may not see summed into one row
        per part, term and period (named `outside_scope`), so each part still adds up."""
        df = contributions
        if not self.restricted or df is None or len(df) == 0:
            return df
        keep = df["ou_code"].isin(self.allowed_codes(df["ou_code"].unique()))
        if keep.all():
            return df
        import pandas as pd

        keys = [c for c in ("component", "part", "term", "de", "period") if c in df.columns]
        hidden = df[~keep].groupby(keys, as_index=False, dropna=False)[["rows", "value"]].sum()
        hidden["ou_code"], hidden["kind"], hidden["name_en"] = "", "outside_scope", "Units outside your scope"
        if "depth" in df.columns:
            hidden["depth"] = None
        out = pd.concat([df[keep], hidden[df.columns]], ignore_index=True)
        return out.sort_values(keys, ignore_index=True, kind="stable")


def decide_access(query, user, *, national_view: bool = False) -> AccessDecision:
    """The one access decision on an indicator question (`bilim.analytics.query.IndicatorQuery`),
    taken for the API, the pages, the CLI and SDMX alike; PermissionDenied says what is refused.

    * The role needs `analytics` read. `user` None is the system operator (CLI without --user):
      everything, at the level that sees every value.
    * The public never receives a single organization, however the units are named: a code of an
      organization or authority, `LEVEL-organization`/`LEVEL-authority`, `CHILDREN-` of a district
      (whose children are organizations), explain's contributions or per-organization values
      (`query.detail`); the children of a region are filtered to its districts.
    * A scoped user names only units of its subtree today (as a code, a `LEVEL-` boundary or a
      `CHILDREN-` parent) and must name one; whatever date or mode is asked, the answer keeps only
      the units of that subtree today (`AccessDecision.filter`).
    * `national_view` (pages showing republic and region aggregates to every analytics role): a
      user with a limited scope sees there what the public sees; national roles their own level.
    """
    from django.utils.translation import gettext as _

    if user is None:
        return AccessDecision(query.with_reader(0), 0)
    require_capability(user, "analytics", READ)
    sel = query.selection
    name = getattr(user, "username", "")
    public = role_of(user) == Role.PUBLIC
    ids = scoped_unit_ids(user)
    level = analytics_level(user)
    if national_view and ids is not None:
        public, ids, level = True, None, 4

    def aggregates_only() -> PermissionDenied:
        return PermissionDenied(_("User %(user)s is a public account: it sees aggregates, not single "
                                  "organizations.") % {"user": name})

    if public:
        if query.detail:
            raise aggregates_only()
        if any(kind not in PUBLIC_UNIT_KINDS for kind in sel.levels):
            raise aggregates_only()
    if ids is not None and not sel.named:
        raise PermissionDenied(_("Name an org unit of your scope (e.g. ou=%(unit)s, or "
                                 "ou=LEVEL-organization;%(unit)s).")
                               % {"unit": user.scope.code if user.scope_id else "CODE"})
    if len(sel.named) > 500:
        raise PermissionDenied(_("Too many org units in one request (at most 500)."))
    if public or ids is not None:
        from bilim.registry.models import OrgUnit

        units = {u.code: u for u in OrgUnit.objects.filter(code__in=sel.named).only("pk", "code", "kind")}
        for code in sel.named:
            unit = units.get(code)
            if unit is None:
                continue  # the engine says it is unknown (400)
            if public and (unit.kind not in PUBLIC_UNIT_KINDS
                           or (code in sel.children and unit.kind not in ("republic", "region"))):
                raise aggregates_only()
            if ids is not None and unit.pk not in ids:
                raise PermissionDenied(_("%(unit)s is outside the scope of user %(user)s.")
                                       % {"unit": code, "user": name})
    return AccessDecision(query.with_reader(level), level, ids, public)
