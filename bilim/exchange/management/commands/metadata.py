"""`bilim metadata export [-o FILE]` and `bilim metadata import FILE [--dry-run]`.

Moves a ministry's configuration (categories, data elements, data sets, indicator definitions,
validation rules) between installations as one JSON document. Import is all-or-nothing: every
problem is printed with the element and the field, and nothing is written unless there are none.

With `--user USERNAME` (or BILIM_USER; `bilim.accounts.cli`) export needs the role's `metadata` read
and import its `metadata` write; the import is recorded under the user's name. Without a user: the
operator, recorded as `cli:<login>`.
"""

from __future__ import annotations

import sys

from django.core.management.base import CommandError, CommandParser

from bilim.accounts.cli import UserCommand
from bilim.accounts.permissions import READ, WRITE
from bilim.exchange.metadata_io import import_metadata, write_metadata


class Command(UserCommand):
    help = ("Export or import the metadata configuration as JSON (all-or-nothing import, --dry-run). "
            "With --user: export needs the role's metadata read, import its metadata write.")
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        exp = sub.add_parser("export", help="Write the configuration as JSON")
        exp.add_argument("-o", "--output", default="-", help="Output file ('-' = standard output)")
        imp = sub.add_parser("import", help="Read a configuration written by 'metadata export'")
        imp.add_argument("file", help="JSON file ('-' reads standard input)")
        imp.add_argument("--dry-run", action="store_true", help="Check and count, write nothing")

    def handle(self, *args, **opts) -> None:
        self.access.require("metadata", READ if opts["action"] == "export" else WRITE)
        if opts["action"] == "export":
            out = opts["output"]
            doc = write_metadata(sys.stdout if out == "-" else out)
            if out != "-":
                sizes = ", ".join(f"{len(doc[k]) if isinstance(doc[k], list) else len(doc[k]['indicators'])} {k}"
                                  for k in ("categories", "data_elements", "data_sets", "indicators",
                                            "validation_rules") if k in doc)
                self.stderr.write(f"{sizes} written to {out}")
            return
        source: bytes
        if opts["file"] == "-":
            source = sys.stdin.buffer.read()
        else:
            try:
                with open(opts["file"], "rb") as f:
                    source = f.read()
            except OSError as exc:
                raise CommandError(f"cannot read {opts['file']}: {exc.strerror or exc}") from exc
        report = import_metadata(source, dry_run=opts["dry_run"], actor=self.access.actor)
        for e in report.errors:
            self.stderr.write(str(e))
        if report.errors:
            raise CommandError(report.summary(), returncode=1)
        self.stdout.write(report.summary())
        for note in report.notes:
            self.stdout.write(note)
