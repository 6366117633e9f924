"""`bilim import FILE [--dry-run] [--format ...] [--user USERNAME]` — all-or-nothing import of a file.

With `--user` (or BILIM_USER; `bilim.accounts.cli`) the user's role must have `data` write and every
row's org unit must be in their scope (rows outside it are errors, so nothing is imported), exactly
as for `POST /api/v1/exchange/import`; only an administrator with national scope may register org
units. Changes are recorded under the user's name. Without a user: the operator, recorded as
`cli:<login>`.
"""

from __future__ import annotations

import sys
import time

from django.core.management.base import CommandError, CommandParser

from bilim.accounts.cli import UserCommand
from bilim.accounts.permissions import WRITE
from bilim.exchange.services import FORMATS, import_file
from bilim.registry.models import LegalAct


class Progress:
    """A percentage line on stderr, redrawn in place, only for imports that take a while."""

    def __init__(self, stream=sys.stderr, delay: float = 0.5):
        self.stream, self.delay = stream, delay
        self.start = time.monotonic()
        self.last = (-1, "")
        self.shown = False

    def __call__(self, done: int, total: int, stage: str) -> None:
        pct = int(100 * done / total) if total else 100
        if (pct, stage) == self.last or time.monotonic() - self.start < self.delay:
            return
        self.last = (pct, stage)
        self.shown = True
        self.stream.write(f"\rimport: {pct:3d}% {stage:<10}")
        self.stream.flush()

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


class Command(UserCommand):
    help = ("Import data values (CSV, XLSX, DHIS2 dataValueSets JSON, ADX XML) or org units (CSV, XLSX). "
            "All-or-nothing: every bad row is reported with its line and nothing is written. With --user: "
            "the role must be allowed to change data and every row's org unit must be in the user's scope.")
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="File to import ('-' reads standard input)")
        parser.add_argument("--dry-run", action="store_true", help="Check and count, write nothing")
        parser.add_argument("--format", choices=sorted(FORMATS), default=None,
                            help="Format (default: detected from the extension and the header row)")
        parser.add_argument("--act", type=int, default=None,
                            help="Id of the legal act that registers new org units (default: a new act "
                                 "of kind 'other' naming the file)")
        parser.add_argument("--max-errors", type=int, default=0,
                            help="Print at most this many errors (default: all)")
        parser.add_argument("--quiet", action="store_true", help="No progress line")
        parser.add_argument("--no-refresh", action="store_true",
                            help="Do not refresh the analytics warehouse after a successful import")

    def handle(self, *args, **opts) -> None:
        self.access.require("data", WRITE)
        act = None
        if opts["act"] is not None:
            act = LegalAct.objects.filter(pk=opts["act"]).first()
            if act is None:
                raise CommandError(f"No legal act with id {opts['act']}")
        progress = None if opts["quiet"] else Progress()
        source = sys.stdin.buffer if opts["file"] == "-" else opts["file"]
        try:
            report = import_file(source, format=opts["format"], dry_run=opts["dry_run"],
                                 actor=self.access.actor, progress=progress, legal_act=act,
                                 name="stdin" if opts["file"] == "-" else None,
                                 unit_allowed=self.access.import_unit_allowed(),
                                 readable=self.access.import_readable())
        finally:
            if progress:
                progress.close()
        limit = opts["max_errors"] or len(report.errors)
        for e in report.errors[:limit]:
            self.stderr.write(str(e))
        if len(report.errors) > limit:
            self.stderr.write(f"... and {len(report.errors) - limit} more error(s)")
        if report.errors:
            raise CommandError(report.summary(), returncode=1)
        self.stdout.write(report.summary())
        if not opts["dry_run"] and not opts["no_refresh"]:
            from bilim.analytics.refresh import refresh

            self.stdout.write("Analytics: " + refresh().summary())
