"""`bilim analytics refresh [--full]` — bring the columnar warehouse up to date."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from bilim.analytics.refresh import refresh, warehouse_path


class Command(BaseCommand):
    help = ("Refresh the analytics warehouse: rebuild changed (data element, period) partitions whole; "
            "do nothing if nothing changed. --full rebuilds everything.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        r = sub.add_parser("refresh", help="Incremental, idempotent refresh of the warehouse")
        r.add_argument("--full", action="store_true", help="Rebuild every partition and the registry dimensions")

    def handle(self, *args, **opts) -> None:
        report = refresh(full=opts["full"])
        self.stdout.write(report.summary())
        self.stdout.write(f"Warehouse: {warehouse_path()}")
