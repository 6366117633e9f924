"""`bilim orgunits show CODE [--as-of DATE]` and `bilim orgunits history CODE`.

With `--user USERNAME` (or BILIM_USER; `bilim.accounts.cli`) the role needs `registry` read and the
unit must be in the user's scope, as for `GET /api/v1/orgunits/{code}`; `show` lists only the
children in the scope. Without a user: the operator.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils import translation

from bilim.accounts.cli import UserCommand
from bilim.registry import selectors
from bilim.registry.models import Kind, OrgUnit


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as e:
        raise CommandError(f"--as-of: '{text}' is not a date (expected YYYY-MM-DD)") from e


class Command(UserCommand):
    help = ("Show an org unit as of a date (place in both hierarchies, children) or its full history. "
            "With --user: the unit must be in that user's scope.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help="A unit as of a date: parent chain, governing body, children")
        show.add_argument("code", help="Org unit code, e.g. KZ-10 or a 12-digit BIN")
        show.add_argument("--as-of", default=None, help="Date YYYY-MM-DD (default: today)")
        show.add_argument("--all-children", action="store_true", help="List every child, not only the first 50")
        hist = sub.add_parser("history", help="Every change of a unit, with dates and legal acts")
        hist.add_argument("code")
        langs = [code for code, _name in settings.LANGUAGES]
        for p in (show, hist):
            p.add_argument("--lang", choices=langs, default="en", help="Language of names and act titles (default en)")

    def handle(self, *args, **opts) -> None:
        self.access.require("registry")
        try:
            unit = OrgUnit.objects.get(code=opts["code"])
        except OrgUnit.DoesNotExist as e:
            raise CommandError(f"No org unit with code {opts['code']}") from e
        self.access.require_unit(unit, family="registry")
        with translation.override(opts.get("lang") or "en"):
            if opts["action"] == "show":
                self.show(unit, _date(opts["as_of"]) if opts["as_of"] else dt.date.today(), opts["all_children"])
            else:
                self.history(unit)

    def show(self, unit: OrgUnit, day: dt.date, all_children: bool) -> None:
        w = self.stdout.write
        if not unit.exists_on(day):
            when = (f"it opened on {unit.opened.isoformat()}" if unit.opened and day < unit.opened
                    else f"it closed on {unit.closed.isoformat()}")
            w(f"{unit.code} {unit.name}: did not exist on {day.isoformat()} ({when}).")
            return
        rec = selectors.name_on(unit, day)
        name = rec.name if rec else unit.name
        w(f"{unit.code} {name}  [{unit.kind}{'/' + unit.org_type if unit.org_type else ''}]  as of {day.isoformat()}")
        if unit.synthetic:
            w("  (synthetic demo data)")
        chain = selectors.ancestors(unit, day)
        if chain:
            w("  territorial parent chain: " + " > ".join(f"{a.code} {a.name}" for a in reversed(chain)))
        body = selectors.governing_body_on(unit, day)
        if body:
            w(f"  governing body: {body.code} {body.name}")
        kids = list(selectors.children(unit, day).order_by("kind", "code"))
        visible = self.access.unit_filter()
        if visible is not None:
            kids = [k for k in kids if visible(k)]
        if kids:
            by_kind: dict[str, int] = {}
            for k in kids:
                by_kind[k.kind] = by_kind.get(k.kind, 0) + 1
            w(f"  children ({', '.join(f'{n} {k}' for k, n in sorted(by_kind.items()))}):")
            shown = kids if all_children else [k for k in kids if k.kind in (Kind.REGION, Kind.DISTRICT)][:50] or kids[:50]
            for k in shown:
                w(f"    {k.code:<14} {k.kind:<12} {k.name}")
            if len(shown) < len(kids):
                w(f"    ... {len(kids) - len(shown)} more (use --all-children)")

    def history(self, unit: OrgUnit) -> None:
        w = self.stdout.write
        w(f"History of {unit.code} {unit.name}")
        labels = {"territorial": "territorial parent", "governing": "governing body", "name": "name", "closed": "closed"}
        for e in selectors.history(unit):
            until = f" until {e.valid_to.isoformat()}" if e.valid_to else (" (in force)" if e.relation != "closed" else "")
            w(f"  {e.date.isoformat()}  {labels[e.relation]:<19} {e.value}{until}")
            if e.event is not None:
                w(f"              event: {e.event.get_kind_display()} — {e.event.description}")
                w(f"              legal act: {e.event.legal_act}")
