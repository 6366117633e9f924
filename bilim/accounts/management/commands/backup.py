"""`bilim backup FILE [--portable]` — the database and the analytics warehouse into one archive."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from bilim.accounts.backup import backup


class Command(BaseCommand):
    help = "Back up the database and the analytics warehouse into FILE (a zip archive)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--portable", action="store_true",
                            help="Also store a JSON dump, restorable into another engine (SQLite -> PostgreSQL)")

    def handle(self, *args, **opts) -> None:
        m = backup(opts["file"], portable=opts["portable"])
        rows = sum(n for n in m.tables.values())
        self.stdout.write(f"Backup written to {opts['file']}: {m.engine}, {len(m.tables)} tables, {rows:,} rows, "
                          f"members {', '.join(m.members)}")
