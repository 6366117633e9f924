"""`bilim audit verify` — check the chain (links, hashes, MACs under the audit key, the signed head and
checkpoints, the value history); exit 1 and name the first bad record when it is broken.
`bilim audit checkpoint` — leave a signed checkpoint at the end of the chain now (e.g. daily from cron).
`bilim audit list` — recent records, filtered.

With `--user USERNAME` (or BILIM_USER; `bilim.accounts.cli`) both need the role's `audit` read, as
`/api/v1/audit/...` does (administrators and ministry). Without a user: the operator.
"""

from __future__ import annotations

from django.core.management.base import CommandError, CommandParser

from bilim.accounts.cli import UserCommand
from bilim.audit import selectors
from bilim.audit import services as audit


class Command(UserCommand):
    help = ("Audit trail: 'verify' checks the tamper-evident chain; 'list' prints recent records. "
            "With --user: the role must be allowed to read the audit trail.")
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Check every record's hash, link and signature, the checkpoints and the "
                                      "value history; exit 1 if the chain is broken")
        sub.add_parser("checkpoint", help="Write a signed checkpoint at the end of the chain now")
        lst = sub.add_parser("list", help="Recent records, newest first")
        lst.add_argument("--actor")
        lst.add_argument("--action", dest="action_filter")
        lst.add_argument("--object-type")
        lst.add_argument("--object-id")
        lst.add_argument("--limit", type=int, default=20)

    def handle(self, *args, **opts) -> None:
        self.access.require("audit")
        if opts["action"] == "verify":
            result = audit.verify()
            if not result.ok:
                raise CommandError(f"audit chain BROKEN at record #{result.first_bad_id} "
                                   f"(after {result.checked} checked): {result.reason}", returncode=1)
            self.stdout.write(f"audit chain OK: {result.checked} records verified, {result.checkpoints} "
                              f"checkpoint(s), {result.values} value history rows")
            return
        if opts["action"] == "checkpoint":
            self.access.require("audit", "write")
            cp = audit.checkpoint()
            self.stdout.write(f"checkpoint written at record #{cp.position} ({cp.count} records): {cp.mac}")
            return
        qs = selectors.audit_list({"actor": opts["actor"], "action": opts["action_filter"],
                                   "object_type": opts["object_type"], "object_id": opts["object_id"]})
        for rec in qs[: opts["limit"]]:
            self.stdout.write(str(rec))
