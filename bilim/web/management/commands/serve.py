"""`bilim serve` — serve the application on 127.0.0.1:8000 (development server, static files included)."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve the web application and API (default http://127.0.0.1:8000)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000", help="host:port to listen on (default 127.0.0.1:8000)")

    def handle(self, *args, **opts) -> None:
        self.stdout.write(f"Bilim on http://{opts['addr']}/  (Ctrl-C to stop)")
        call_command("runserver", opts["addr"], use_reloader=False, use_threading=True, insecure_serving=True)
