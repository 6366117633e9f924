"""`bilim analytics refresh [--full]` — bring the columnar warehouse up to date; `bilim analytics
status` — the refresh queue (mode, jobs waiting and running, the last result)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext

from bilim.analytics.refresh import refresh, warehouse_path


class Command(BaseCommand):
    help = ("Refresh the analytics warehouse: rebuild changed (data element, period) partitions whole; "
            "do nothing if nothing changed. --full rebuilds everything.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        r = sub.add_parser("refresh", help="Incremental, idempotent refresh of the warehouse")
        r.add_argument("--full", action="store_true", help="Rebuild every partition and the registry dimensions")
        sub.add_parser("status", help=gettext("The refresh queue as JSON: mode, refresh jobs waiting (pending) "
                                              "and running, the last finished one's result and time"))

    def handle(self, *args, **opts) -> None:
        if opts["action"] == "status":
            from bilim.analytics import refresher

            self.stdout.write(json.dumps(refresher.status(), default=str, indent=1))
            return
        report = refresh(full=opts["full"])
        self.stdout.write(report.summary())
        self.stdout.write(f"Warehouse: {warehouse_path()}")
