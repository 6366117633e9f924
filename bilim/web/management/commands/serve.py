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
import os
import signal
import subprocess
import sys
import threading
import time
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

        try:
            mode = refresher.mode()
        except ValueError as e:  # a mistyped BILIM_REFRESH_MODE: say so before serving anything
            raise CommandError(str(e)) from None
        worker = None
        if not opts["no_worker"] and mode == "queue":
            worker = RefreshWorker(self.stdout)
            worker.start()
        self.stdout.write(f"Bilim on http://{opts['addr']}/  (Ctrl-C to stop)")
        self.stdout.flush()
        try:
            if opts["dev"]:
                if worker is not None:
                    worker.watch()
                call_command("runserver", opts["addr"], use_reloader=False, use_threading=True,
                             insecure_serving=True)
                return
            from django.db import connections

            connections.close_all()  # nothing inherited by the forked workers
            _Gunicorn({"bind": opts["addr"], "workers": opts["workers"], "threads": opts["threads"],
                       "worker_class": "gthread", "backlog": 2048, "timeout": opts["timeout"],
                       "graceful_timeout": 30, "accesslog": "-", "errorlog": "-", "loglevel": "warning",
                       "post_worker_init": _worker_started}, refresh_worker=worker).run()
        finally:
            if worker is not None:
                worker.stop()


class RefreshWorker:
    """One `bilim worker` process beside the web server: started with it, restarted
    `RESTART_DELAY` seconds after it died (a lost database connection ends it), stopped with it.

    Why a process of its own and not a thread: the web server forks workers, and the refresh queue
    needs exactly one consumer however many web processes there are. It runs in a session of its
    own, so a Ctrl-C in the terminal reaches serve only and the worker gets one SIGTERM from `stop`
    (it finishes the refresh it is running, then exits); and it ends with serve even when serve is
    killed outright (`bilim worker` asks the kernel for SIGTERM when its parent dies).

    No thread watches it under gunicorn: a thread alive when gunicorn forks its web workers made
    them hang at exit (DuckDB's cleanup joins threads that the fork did not copy), so that serve
    took the whole graceful timeout to stop. gunicorn's master loop calls `check` instead (about
    once a second); the development server, which does not fork, gets a thread (`watch`)."""

    RESTART_DELAY = 5.0
    # a refresh still running after this long is cut off (the next one starts over; its job is marked
    # failed when the next worker starts): serve stops within gunicorn's graceful timeout either way
    STOP_TIMEOUT = 30.0

    def __init__(self, out: IO[str] | Any, command: list[str] | None = None) -> None:
        self.out = out
        self.command = command or [sys.executable, "-m", "bilim.cli", "worker"]
        # gunicorn forks its workers inside serve's `try`: a worker leaving runs the `finally` too, and
        # must not stop the refresh worker (only the process that started it does)
        self.owner = os.getpid()
        self.proc: subprocess.Popen | None = None
        self.stopping = threading.Event()
        self._died_at: float | None = None

    def start(self) -> None:
        # unbuffered: its lines (jobs started and finished) show in serve's output as they happen
        env = {**os.environ, "BILIM_WORKER_PARENT": str(os.getpid()), "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(self.command, env=env, start_new_session=True)
        self.out.write(gettext("Refresh worker started (pid %(pid)d)") % {"pid": self.proc.pid} + "\n")
        self.out.flush()

    def check(self) -> None:
        """Restart the worker if it has been dead for `RESTART_DELAY` seconds; cheap, never blocks."""
        if self.proc is None or self.stopping.is_set() or os.getpid() != self.owner:
            return
        if self.proc.poll() is None:  # (gunicorn's master may have reaped it: the exit code is lost)
            return
        now = time.monotonic()
        if self._died_at is None:
            self._died_at = now
            log.warning("the refresh worker (pid %s) stopped; restarting it in %.0f s", self.proc.pid,
                        self.RESTART_DELAY)
        if now - self._died_at >= self.RESTART_DELAY:
            self._died_at = None
            self.start()

    def watch(self, every: float = 1.0) -> None:
        """`check` from a thread of its own, for a server that does not fork (`--dev`)."""
        def loop() -> None:
            while not self.stopping.wait(every):
                self.check()

        threading.Thread(target=loop, name="bilim-worker-watch", daemon=True).start()

    def terminate(self) -> None:
        """Ask it to stop (one SIGTERM: it finishes the job it is running), without waiting; gunicorn's
        master calls this as soon as serve is asked to stop, so both wind down at the same time."""
        if os.getpid() != self.owner or self.stopping.is_set():
            return
        self.stopping.set()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def stop(self) -> None:
        """`terminate`, then wait for the job it is running; killed after `STOP_TIMEOUT` seconds."""
        if os.getpid() != self.owner:
            return
        self.terminate()
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        try:
            proc.wait(self.STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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
    from gunicorn.arbiter import Arbiter
except ImportError:  # pragma: no cover - gunicorn is a locked dependency
    BaseApplication = Arbiter = object  # type: ignore[assignment,misc]


class _Arbiter(Arbiter):  # type: ignore[misc,valid-type]
    """gunicorn's master, which also keeps the refresh worker alive: its loop maintains the web
    workers about once a second (`manage_workers`), and checks the refresh worker at the same time."""

    def manage_workers(self) -> None:
        super().manage_workers()
        if (refresh_worker := getattr(self.app, "refresh_worker", None)) is not None:
            refresh_worker.check()

    def stop(self, graceful: bool = True) -> None:
        if (refresh_worker := getattr(self.app, "refresh_worker", None)) is not None:
            refresh_worker.terminate()  # its refresh and the web workers' requests finish side by side
        super().stop(graceful)


class _Gunicorn(BaseApplication):  # type: ignore[misc,valid-type]
    """gunicorn configured from the options above, loading Bilim's WSGI application in each worker."""

    def __init__(self, options: dict[str, Any], refresh_worker: RefreshWorker | None = None):
        self.options = options
        self.refresh_worker = refresh_worker
        super().__init__()

    def run(self) -> None:
        """`BaseApplication.run` with Bilim's master (`_Arbiter`)."""
        try:
            _Arbiter(self).run()
        except RuntimeError as e:
            sys.stderr.write(f"\nError: {e}\n\n")
            sys.stderr.flush()
            sys.exit(1)

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return _application()
