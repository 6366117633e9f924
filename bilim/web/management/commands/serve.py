"""`bilim serve` — serve the application on 127.0.0.1:8000.

By default through gunicorn (threaded workers, a listen backlog of 2048): Django's development
server queues only ten connections, and with fifty users signing in at once it reset the rest.
`--dev` keeps the development server (autoreload off) for debugging.

With the refresh in queue mode (the default) it also starts one `bilim worker` process, which runs
the analytics refresh jobs the writes queue, restarts it if it dies, and stops it when serve stops:
a demo or a small installation needs nothing else running. An installation that runs `bilim worker`
as a service of its own passes `--no-worker`.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
from typing import IO, Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext

log = logging.getLogger(__name__)


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
        parser.add_argument("--no-worker", action="store_true",
                            help=gettext("do not start the job queue worker (`bilim worker`) that runs the "
                                         "analytics refreshes: it runs as a service of its own"))

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["workers"] < 1 or opts["threads"] < 1:
            raise CommandError("--workers and --threads must be at least 1")
        from bilim.exchange import jobs

        # nothing serves yet: every unfinished upload job was interrupted by the last stop or crash
        if n := jobs.fail_interrupted(all_unfinished=True):
            self.stdout.write(f"{n} upload job(s) interrupted by the last stop marked as failed")
        from bilim.analytics import refresher

        worker = None
        if not opts["no_worker"] and refresher.mode() == "queue":
            worker = RefreshWorker(self.stdout)
            worker.start()
        self.stdout.write(f"Bilim on http://{opts['addr']}/  (Ctrl-C to stop)")
        self.stdout.flush()
        try:
            if opts["dev"]:
                call_command("runserver", opts["addr"], use_reloader=False, use_threading=True,
                             insecure_serving=True)
                return
            from django.db import connections

            connections.close_all()  # nothing inherited by the forked workers
            _Gunicorn({"bind": opts["addr"], "workers": opts["workers"], "threads": opts["threads"],
                       "worker_class": "gthread", "backlog": 2048, "timeout": opts["timeout"],
                       "graceful_timeout": 30, "accesslog": "-", "errorlog": "-", "loglevel": "warning",
                       "post_worker_init": _worker_started}).run()
        finally:
            if worker is not None:
                worker.stop()


class RefreshWorker:
    """One `bilim worker` process beside the web server: started with it, restarted after
    `RESTART_DELAY` seconds if it dies (a lost database connection ends it), stopped with it.

    Why a process of its own and not a thread: the web server forks workers, and the refresh queue
    needs exactly one consumer however many web processes there are. It runs in a session of its
    own, so a Ctrl-C in the terminal reaches serve only and the worker gets one SIGTERM from `stop`
    (it finishes the refresh it is running, then exits); and it ends with serve even when serve is
    killed outright (`bilim worker` asks the kernel for SIGTERM when its parent dies)."""

    RESTART_DELAY = 5.0
    STOP_TIMEOUT = 60.0

    def __init__(self, out: IO[str] | Any, command: list[str] | None = None) -> None:
        self.out = out
        self.command = command or [sys.executable, "-m", "bilim.cli", "worker"]
        self.proc: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None

    def _spawn(self) -> None:
        import os

        env = {**os.environ, "BILIM_WORKER_PARENT": str(os.getpid())}
        self.proc = subprocess.Popen(self.command, env=env, start_new_session=True)
        self.out.write(gettext("Refresh worker started (pid %(pid)d)") % {"pid": self.proc.pid})
        self.out.flush()

    def start(self) -> None:
        with self._lock:
            self._spawn()
        self._watcher = threading.Thread(target=self._watch, name="bilim-worker-watch", daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        while not self._stopping.is_set():
            proc = self.proc
            assert proc is not None
            code = proc.wait()  # gunicorn's master may reap it first: then the code reads 0
            if self._stopping.is_set():
                return
            log.warning("the refresh worker (pid %s) exited with %s; restarting it in %.0f s",
                        proc.pid, code, self.RESTART_DELAY)
            if self._stopping.wait(self.RESTART_DELAY):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                self._spawn()

    def stop(self) -> None:
        """SIGTERM, then wait for the job it is running; killed after `STOP_TIMEOUT` seconds."""
        with self._lock:
            self._stopping.set()
            proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(self.STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._watcher is not None:
            self._watcher.join(5)


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
