"""`bilim users` — user accounts from the command line, through `bilim.accounts.users`.

    bilim users add USERNAME --role ROLE [--scope CODE] [--email E]   password: $BILIM_PASSWORD, else a prompt
    bilim users list
    bilim users set USERNAME [--role ROLE] [--scope CODE|--no-scope]
    bilim users deactivate USERNAME        (activate USERNAME undoes it)
    bilim users password USERNAME          password: $BILIM_PASSWORD, else a prompt
    bilim users token USERNAME [--name NAME]   prints the key once
    bilim users revoke-token PREFIX

Without `--user` (or BILIM_USER) the command runs as the system operator and records changes as
cli:<login>; with it, the account must be allowed to manage users, within its scope.
"""

from __future__ import annotations

import getpass
import os
import sys

from django.core.management.base import CommandError, CommandParser

from bilim.accounts import users as svc
from bilim.accounts.cli import UserCommand
from bilim.accounts.models import Role

PASSWORD_ENV = "BILIM_PASSWORD"


class Command(UserCommand):
    help = ("User accounts: add, list, set role/scope, deactivate, reset a password, issue and revoke API "
            "tokens. Passwords come from the environment variable BILIM_PASSWORD, else a prompt.")
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Add a user with a role and a scope")
        add.add_argument("username")
        add.add_argument("--role", required=True, choices=Role.values)
        add.add_argument("--scope", default="", metavar="CODE",
                         help="Org unit code of the user's subtree (needed for region, district, organization)")
        add.add_argument("--email", default="")
        add.add_argument("--first-name", default="")
        add.add_argument("--last-name", default="")
        add.add_argument("--language", default="", choices=["", "kk", "ru", "en"])
        sub.add_parser("list", help="List the accounts: user name, role, scope, active, tokens")
        st = sub.add_parser("set", help="Change the role and/or the scope of a user")
        st.add_argument("username")
        st.add_argument("--role", choices=Role.values)
        st.add_argument("--scope", metavar="CODE")
        st.add_argument("--no-scope", action="store_true", help="Remove the scope (the whole republic)")
        for name, text in (("deactivate", "Deactivate an account (sign-in and tokens stop working)"),
                           ("activate", "Reactivate an account"),
                           ("password", "Set a new password")):
            p = sub.add_parser(name, help=text)
            p.add_argument("username")
        tok = sub.add_parser("token", help="Issue an API token; the key is printed once")
        tok.add_argument("username")
        tok.add_argument("--name", default="")
        rev = sub.add_parser("revoke-token", help="Revoke the token whose key starts with PREFIX (after bil_)")
        rev.add_argument("prefix")

    def _password(self, username: str) -> str:
        password = os.environ.get(PASSWORD_ENV)
        if password:
            return password
        if not sys.stdin.isatty():
            raise CommandError(f"Set the password in the environment variable {PASSWORD_ENV} "
                               "(no terminal to prompt on).")
        first = getpass.getpass(f"Password for {username}: ")
        if first != getpass.getpass("Again: "):
            raise CommandError("The two passwords differ; nothing was changed.")
        return first

    def handle(self, *args, **opts) -> None:
        by, actor = self.access.user, self.access.actor
        action = opts["action"]
        try:
            if action == "add":
                password = self._password(opts["username"])
                user = svc.create_user(by, opts["username"], password, opts["role"], opts["scope"] or None,
                                       email=opts["email"], first_name=opts["first_name"],
                                       last_name=opts["last_name"], language=opts["language"], actor=actor)
                self.stdout.write(f"user {user.username} added: role {user.role}, scope "
                                  f"{user.scope.code if user.scope_id else '(whole republic)'}")
            elif action == "list":
                self.stdout.write(f"{'USERNAME':<24}{'ROLE':<14}{'SCOPE':<16}{'ACTIVE':<8}TOKENS")
                for u in svc.manageable_users(by).prefetch_related("api_tokens"):
                    live = sum(1 for t in u.api_tokens.all() if t.revoked is None)
                    self.stdout.write(f"{u.username:<24}{('superuser' if u.is_superuser else u.role):<14}"
                                      f"{(u.scope.code if u.scope_id else '-'):<16}"
                                      f"{('yes' if u.is_active else 'no'):<8}{live}")
            elif action == "set":
                user = svc.get_user(by, opts["username"])
                scope = None if opts["no_scope"] else (opts["scope"] if opts["scope"] is not None else False)
                user = svc.update_user(by, user, role=opts["role"], scope=scope, actor=actor)
                self.stdout.write(f"user {user.username}: role {user.role}, scope "
                                  f"{user.scope.code if user.scope_id else '(whole republic)'}")
            elif action in ("deactivate", "activate"):
                user = svc.set_active(by, svc.get_user(by, opts["username"]), action == "activate", actor=actor)
                self.stdout.write(f"user {user.username} {'activated' if user.is_active else 'deactivated'}")
            elif action == "password":
                user = svc.get_user(by, opts["username"])
                svc.reset_password(by, user, self._password(user.username), actor=actor)
                self.stdout.write(f"password of {user.username} changed")
            elif action == "token":
                user = svc.get_user(by, opts["username"])
                key = svc.issue_token(by, user, opts["name"], actor=actor)
                self.stderr.write(f"API token for {user.username} (shown once; store it now):")
                self.stdout.write(key)
            elif action == "revoke-token":
                token = svc.find_token(by, opts["prefix"])
                svc.revoke_token(by, token, actor=actor)
                self.stdout.write(f"token {token.prefix}… of {token.user.username} revoked")
        except svc.AccountError as e:
            where = f"{e.field}: " if e.field else ""
            raise CommandError(f"{where}{e.message}") from None
