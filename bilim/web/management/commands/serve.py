"""`bilim serve` — serve the application on 127.0.0.1:8000.

By default through gunicorn (threaded workers, a listen backlog of 2048): Django's development
server queues only ten connections, and with fifty users signing in at once it reset the rest.
`--dev` keeps the development server (autoreload off) for debugging.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = ("Serve the web application and API (default http://127.0.0.1:8000) with gunicorn; "
            "static files are served by the application.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000", help="host:port to listen on (default 127.0.0.1:8000)")
        parser.add_argument("--workers", type=int, default=2,
                            help="worker processes (default 2: one per core on the reference machine)")
        parser.add_argument("--threads", type=int, default=16, help="threads per worker (default 16)")
        parser.add_argument("--timeout", type=int, default=300,
                            help="seconds before a silent worker is restarted (default 300: large uploads)")
        parser.add_argument("--dev", action="store_true",
                            help="use Django's development server instead (single process, for debugging)")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["workers"] < 1 or opts["threads"] < 1:
            raise CommandError("--workers and --threads must be at least 1")
        from bilim.exchange import jobs

        # nothing serves yet: every unfinished upload job was interrupted by the last stop or crash
        if n := jobs.fail_interrupted(all_unfinished=True):
            self.stdout.write(f"{n} upload job(s) interrupted by the last stop marked as failed")
        self.stdout.write(f"Bilim on http://{opts['addr']}/  (Ctrl-C to stop)")
        self.stdout.flush()
        if opts["dev"]:
            call_command("runserver", opts["addr"], use_reloader=False, use_threading=True, insecure_serving=True)
            return
        from django.db import connections

        connections.close_all()  # nothing inherited by the forked workers
        _Gunicorn({"bind": opts["addr"], "workers": opts["workers"], "threads": opts["threads"],
                   "worker_class": "gthread", "backlog": 2048, "timeout": opts["timeout"],
                   "graceful_timeout": 30, "accesslog": "-", "errorlog": "-", "loglevel": "warning",
                   "post_worker_init": _worker_started}).run()


def _worker_started(worker: Any) -> None:
    """A worker (re)started, perhaps replacing one that died: fail the jobs of processes that are gone."""
    from bilim.exchange import jobs

    try:
        jobs.fail_interrupted()
    finally:
        from django.db import connection

        connection.close()


def _application() -> Any:
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


try:
    from gunicorn.app.base import BaseApplication
except ImportError:  # pragma: no cover - gunicorn is a locked dependency
    BaseApplication = object  # type: ignore[assignment,misc]


class _Gunicorn(BaseApplication):  # type: ignore[misc,valid-type]
    """gunicorn configured from the options above, loading Bilim's WSGI application in each worker."""

    def __init__(self, options: dict[str, Any]):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return _application()
