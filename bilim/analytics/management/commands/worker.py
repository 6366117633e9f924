"""`bilim worker` — run the job queue's worker (the analytics refresh jobs) in the foreground.

It is the database backend's own worker (`db_worker` of django-tasks-db: it polls the queue table,
claims one job at a time, records its result), with Bilim's defaults: no autoreload (a second
process, and a job could be cut off by a reload), and a worker id 'host:pid' so that a job left
running by a worker that died is recognised and marked failed when the next worker starts.

`bilim serve` starts one next to the web server. In production run it as a service of its own
(one per installation is enough; several are safe: the refresh holds a file lock on the warehouse).
"""

from __future__ import annotations

import os
import signal
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from bilim.analytics import refresher


class Command(DbWorkerCommand):
    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # translated here, not at import: the CLI has chosen its language by the time it builds the parser
        self.help = gettext("Run the job queue worker in the foreground: it runs the analytics refresh jobs "
                            "that writes queue (BILIM_REFRESH_MODE=queue). `bilim serve` starts one itself; "
                            "in production run `bilim worker` as a service of its own (one per installation "
                            "is enough, several are safe). Stop it with Ctrl-C or SIGTERM: it finishes the "
                            "job it is running first.")
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(reload=False, worker_id=refresher.this_worker())
        for action in parser._actions:  # the library's texts name its own defaults
            if action.dest == "reload":
                action.help = gettext("Restart the worker when the code changes (development only; default: off)")
            elif action.dest == "worker_id":
                action.help = gettext("Worker id, unique among the workers (default: host:pid of this process)")

    def handle(self, *args: Any, **options: Any) -> None:
        _end_with_parent()
        if n := refresher.fail_interrupted():
            self.stdout.write(gettext("%(n)d refresh job(s) left running by a stopped worker marked as failed")
                              % {"n": n})
        super().handle(*args, **options)


def _end_with_parent() -> None:
    """Started by `bilim serve` (BILIM_WORKER_PARENT names it): ask Linux for a SIGTERM when serve
    dies, so that a serve killed outright leaves no worker behind (an ordinary stop signals it)."""
    parent = os.environ.pop("BILIM_WORKER_PARENT", "")
    if not parent.isdigit() or not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not glibc or musl: serve still stops it on an ordinary stop
        return
    if os.getppid() != int(parent):
        sys.exit(0)  # serve was gone before the request took effect
