"""Who runs a `bilim` command, and what they may do: the command-line side of `permissions`.

The data-bearing commands (`import`, `export`, `orgunits`, `indicators`, `metadata`, `audit`) derive
from :class:`UserCommand`, which gives them (and each of their subcommands) the option
`--user USERNAME`, read from the environment variable ``BILIM_USER`` when the option is absent.

* With a user, the command is checked against the same capability table and scope as the API
  (:mod:`bilim.accounts.permissions`): the role must have the family's capability, every org unit
  named must lie in the user's subtree, lists are filtered to it, and changes are recorded in the
  audit trail under the user's name. An unknown or inactive user is an error.
* Without one, the command runs as the **system operator**: whoever has a shell on the server
  and the database settings already has every right, so nothing is checked, and changes are
  recorded as ``cli:<operating-system login>``.

A command calls ``self.access`` (a :class:`CliAccess`), e.g. ``self.access.require("audit")`` or
``codes = self.access.units(codes, family="registry")``; every refusal is a ``CommandError``
naming the user and the capability or the unit.
"""

from __future__ import annotations

import argparse
import getpass
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from . import permissions as perm
from .models import Role

ENV_VAR = "BILIM_USER"
OPTION = "--user"


def os_login() -> str:
    """The operating-system login running the command ('unknown' when the system cannot say)."""
    try:
        return getpass.getuser() or "unknown"
    except (KeyError, OSError, ImportError):
        return "unknown"


def operator_actor() -> str:
    """The audit actor of an operator run: 'cli:<os login>'."""
    return f"cli:{os_login()}"


def resolve_user(username: str | None, environ: dict[str, str] | None = None):
    """The active user named by `--user` (or by BILIM_USER when the option is absent); None: the operator.

    Raises CommandError naming the user when there is no such user or the account is inactive.
    """
    env = os.environ if environ is None else environ
    source = OPTION
    if username is None:
        username, source = env.get(ENV_VAR) or None, ENV_VAR
        if username is None:
            return None
    username = username.strip()
    if not username:
        raise CommandError(_("%(option)s needs a user name.") % {"option": source})
    from .models import User

    user = User.objects.select_related("scope").filter(username=username).first()
    if user is None:
        raise CommandError(_("No Bilim user named %(user)s (given by %(option)s).")
                           % {"user": username, "option": source})
    if not user.is_active:
        raise CommandError(_("User %(user)s is inactive and may not use Bilim.") % {"user": username})
    return user


@dataclass
class CliAccess:
    """The rights of one command run: a user's (checked), or the operator's (user None: unchecked)."""

    user: Any = None
    login: str = field(default_factory=os_login)

    @property
    def operator(self) -> bool:
        return self.user is None

    @property
    def actor(self) -> str:
        """The name recorded in the audit trail for changes made by this run."""
        return self.user.username if self.user is not None else f"cli:{self.login}"

    @property
    def scoped(self) -> bool:
        """True when the user sees only part of the republic (a subtree, or nothing)."""
        return self.user is not None and perm.scoped_unit_ids(self.user) is not None

    @property
    def public(self) -> bool:
        return self.user is not None and perm.role_of(self.user) == Role.PUBLIC

    @property
    def scope_root(self) -> str | None:
        """The code of the user's scope unit, for scoped users that have one."""
        if not self.scoped or self.user.scope_id is None:
            return None
        return self.user.scope.code

    # --- checks ------------------------------------------------------------------------------------

    def require(self, family: str, action: str = perm.READ) -> None:
        """Refuse unless the user's role has the capability (`family`, `action`)."""
        if self.user is None or perm.has_capability(self.user, family, action):
            return
        params = {"user": self.user.username, "role": perm.role_of(self.user) or "-", "family": family}
        if action == perm.WRITE:
            raise CommandError(_("User %(user)s (role %(role)s) may not change %(family)s.") % params)
        raise CommandError(_("User %(user)s (role %(role)s) may not read %(family)s.") % params)

    def require_unit(self, unit, action: str = perm.READ, family: str = "data") -> None:
        """Refuse unless `unit` lies in the user's scope (for a write: and the role may write `family`)."""
        if self.user is None:
            return
        ok = (perm.can_write_unit(self.user, unit, family) if action == perm.WRITE
              else perm.can_read_unit(self.user, unit))
        if not ok:
            raise CommandError(_("%(unit)s is outside the scope of user %(user)s.")
                               % {"unit": unit.code, "user": self.user.username})

    def require_aggregates(self) -> None:
        """Refuse the public anything that shows single organizations (their aggregates only)."""
        if self.public:
            raise CommandError(_("User %(user)s is a public account: it sees aggregates, not single "
                                 "organizations.") % {"user": self.user.username})

    def units(self, codes: Sequence[str], *, family: str, action: str = perm.READ,
              levels: Iterable[str] = (), option: str = "--ou") -> list[str]:
        """The org-unit codes a command will read or write, checked as the API checks its `ou` items.

        The role needs (`family`, `action`); every code that names a unit must be in the scope (codes
        that name no unit are left to the command, which says they are unknown); the public may not
        ask for organizations (`levels` holds the `LEVEL-<kind>` kinds asked for). A scoped user who
        names no unit gets their scope unit (a boundary for `LEVEL-<kind>`); one without a scope unit
        is refused. The operator's codes are returned unchanged.
        """
        codes = [c for c in codes if c]
        if self.user is None:
            return codes
        self.require(family, action)
        if "organization" in {str(k).lower() for k in levels}:
            self.require_aggregates()
        if not codes and self.scoped:
            root = self.scope_root
            if root is None:
                raise CommandError(_("User %(user)s has a limited scope: name an org unit in it with "
                                     "%(option)s.") % {"user": self.user.username, "option": option})
            codes = [root]
        if codes and (self.scoped or self.public):
            from bilim.registry.models import OrgUnit

            found = {u.code: u for u in OrgUnit.objects.filter(code__in=codes)}
            for code in codes:
                if code in found:
                    self.require_unit(found[code], action, family)
        return codes

    # --- filters for lists and imports -------------------------------------------------------------

    def unit_filter(self) -> Callable[[Any], bool] | None:
        """`unit -> bool` keeping the units the user may see; None when nothing is filtered."""
        if self.user is None or not (self.scoped or self.public):
            return None
        user = self.user
        return lambda unit: perm.can_read_unit(user, unit)

    def values_filter(self) -> Callable[[str, str, str], bool] | None:
        """`(data element, period, org unit code) -> bool` for exports of stored values: scope and the
        approval rule (`permissions.value_rows_reader`); None when nothing is filtered."""
        if self.user is None or (perm.role_of(self.user) == Role.ADMIN and not self.scoped):
            return None
        return perm.value_rows_reader(self.user)

    def import_unit_allowed(self) -> Callable[[str], bool] | None:
        """The `unit_allowed` hook of `exchange.services.import_file`, as the API and upload page use it."""
        if self.user is None:
            return None
        from bilim.exchange.jobs import scope_filter

        return scope_filter(self.user)

    def import_readable(self) -> Callable[[str, str, str], bool] | None:
        """The `readable` hook of `exchange.services.import_file` (cells the user may read), as the API
        and upload page use it; None for the operator."""
        from bilim.exchange.jobs import read_filter

        return read_filter(self.user)


def help_text() -> str:
    return _("Act as this Bilim user: the role and scope of the account are checked as in the API, and "
             "changes are recorded under its name. Default: the environment variable %(env)s. Without "
             "either, the command runs as the system operator (full rights, no checks; changes are "
             "recorded as cli:<login>).") % {"env": ENV_VAR}


def operator_note() -> str:
    return _("Run with --user USERNAME (or %(env)s=USERNAME) to act as a Bilim user, checked against its "
             "role and scope. Without it the command runs as the system operator: anyone with a shell on "
             "the server and its database settings, with every right and no checks.") % {"env": ENV_VAR}


def add_user_option(parser: argparse.ArgumentParser) -> None:
    """Add `--user` to `parser` and to each of its subcommands (given before or after the subcommand)."""
    parser.add_argument(OPTION, dest="user", default=None, metavar="USERNAME", help=help_text())
    stack = [parser]
    while stack:
        p = stack.pop()
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    # SUPPRESS: a subcommand without --user keeps the value given before it
                    sub.add_argument(OPTION, dest="user", default=argparse.SUPPRESS, metavar="USERNAME",
                                     help=help_text())
                    if not sub.epilog:
                        sub.epilog = operator_note()
                    stack.append(sub)


class UserCommand(BaseCommand):
    """Base of the data-bearing management commands: `--user USERNAME` / BILIM_USER, then `self.access`."""

    access: CliAccess

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any):
        kwargs.setdefault("epilog", operator_note())
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        add_user_option(parser)
        return parser

    def execute(self, *args: Any, **options: Any):
        self.access = CliAccess(resolve_user(options.get("user")))
        return super().execute(*args, **options)
