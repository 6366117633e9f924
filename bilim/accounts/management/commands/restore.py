"""`bilim restore FILE [--force]` — restore a backup; refuses to overwrite a database holding data."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bilim.accounts.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore the database and the analytics warehouse from a backup made by 'bilim backup'."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--force", action="store_true", help="Overwrite a database that already holds data")

    def handle(self, *args, **opts) -> None:
        try:
            m = restore(opts["file"], force=opts["force"])
        except BackupError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(f"Restored {opts['file']} (made {m.created} from {m.engine}, {len(m.tables)} tables)")
