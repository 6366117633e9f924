"""`bilim` — the command-line interface, a thin shell over Django management commands.

Each subcommand is a management command in the app that owns it, so the CLI, the web and the API
all call the same services.
"""

from __future__ import annotations

import os
import sys

COMMANDS = [
    ("demo", "Build the deterministic synthetic demo country (--scale small|national)"),
    ("serve", "Serve the web application and API on http://127.0.0.1:8000 (and start the refresh worker)"),
    ("worker", "Run the job queue worker (the analytics refreshes writes ask for) in the foreground"),
    ("import", "Import org units or data values from a file (all-or-nothing, --dry-run)"),
    ("export", "Export data values or org units (CSV and other formats)"),
    ("orgunits", "Show org units and their history: orgunits show CODE [--as-of DATE], orgunits history CODE"),
    ("analytics", "The analytics warehouse: analytics refresh [--full], analytics status (the refresh queue)"),
    ("indicators", "Compute indicators at any level, period and disaggregation"),
    ("metadata", "Export or import the configuration (data elements, categories, forms, indicators, rules) as JSON"),
    ("audit", "The tamper-evident audit chain: audit verify, audit checkpoint, audit list [--actor ...]"),
    ("users", "User accounts: users add USERNAME --role ROLE --scope CODE, list, set, deactivate, password, "
              "token USERNAME [--name N], revoke-token PREFIX"),
    ("report", "Write a PDF report: report KIND CODE --lang kk|ru|en -o FILE.pdf (passport, comparison, ...)"),
    ("backup", "Back up the database and the analytics warehouse: backup FILE [--portable]"),
    ("restore", "Restore a backup into an empty database: restore FILE [--force]"),
    ("migrate", "Create or upgrade the database schema"),
    ("createsuperuser", "Create an administrator account"),
]


def usage() -> str:
    lines = ["usage: bilim COMMAND [options]", "", "Bilim — education management information system.", "",
             "commands:"]
    lines += [f"  {name:<16}{text}" for name, text in COMMANDS]
    lines += ["", "Run 'bilim COMMAND --help' for the options of a command.",
              "import, export, orgunits, indicators, metadata, audit and users take --user USERNAME (or BILIM_USER):",
              "  they then check that user's role and scope as the API does and record changes under its name.",
              "  Without it they run as the system operator (full rights; changes recorded as cli:<login>).",
              "Settings come from the environment: DATABASE_URL, BILIM_DATA_DIR, SECRET_KEY, BILIM_DEBUG."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bilim.config.settings")
    import django
    from django.core.management import execute_from_command_line
    from django.utils import translation

    django.setup()
    translation.activate(cli_language())
    execute_from_command_line(["bilim", *argv])


def cli_language(env: dict[str, str] | None = None) -> str:
    """The language of the CLI's messages: BILIM_LANGUAGE, else the terminal's locale when it is kk, ru or
    en, else English (scripts and logs read the same text as the rest of the CLI's output)."""
    env = os.environ if env is None else env
    for name in ("BILIM_LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        code = (env.get(name) or "")[:2].lower()
        if code in ("kk", "ru", "en"):
            return code
    return "en"


if __name__ == "__main__":
    main()
