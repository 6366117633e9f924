"""`bilim demo [--scale small|national] [--seed N] [--if-empty]`: build the SYNTHETIC demo country.

Every organization, district code and figure it writes is synthetic (generated from the seed); the
regions and the 2018/2022 restructurings with their decrees are real. Units it creates below region
level carry `synthetic=True`.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bilim.demo import services


class Command(BaseCommand):
    help = ("Build the deterministic SYNTHETIC demo education system of Kazakhstan (real regions and "
            "restructurings, synthetic districts, organizations and figures) into an empty database.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=["small", "national"], default="national",
                            help="national (~7,500 schools, millions of values; minutes) or small (seconds)")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed; the same seed gives the same data")
        parser.add_argument("--if-empty", action="store_true",
                            help="Do nothing (successfully) if the republic KZ already exists")

    def handle(self, *args, **opts) -> None:
        if services.demo_exists():
            if opts["if_empty"]:
                self.stdout.write("Demo data already present (republic KZ exists); nothing to do.")
                return
            raise CommandError("The registry already contains the republic KZ. The demo builds only into an empty "
                               "database (use --if-empty to skip silently).")
        self.stdout.write(f"Building the SYNTHETIC demo data set (scale={opts['scale']}, seed={opts['seed']}). "
                          "Regions and restructurings are real; districts' codes, organizations and all figures "
                          "are synthetic.")
        report = services.build_demo(opts["scale"], opts["seed"], log=self.stdout.write)
        u = report.units
        self.stdout.write(
            f"Done in {report.seconds['total']:.1f}s: {u.get('region', 0)} regions (incl. closed), "
            f"{u.get('district', 0)} districts, {u.get('authority', 0)} authorities, "
            f"{u.get('SCHOOL', 0) + u.get('BOARDING', 0) + u.get('SPECIAL', 0)} schools "
            f"({u.get('small_schools', 0)} small-class), {u.get('PRESCHOOL', 0)} preschool organizations, "
            f"{u.get('COLLEGE', 0)} colleges, {u.get('UNIVERSITY', 0)} universities, "
            f"{u.get('ADDITIONAL', 0)} additional-education organizations; {report.total_values:,} data values.")
        from bilim.authority.demo import seed_demo as seed_authority
        from bilim.governance.demo import seed_demo as seed_governance
        from bilim.projects.demo import seed_demo as seed_projects

        for label, seed in (("competences and delegations", seed_authority),
                            ("collegium and instructions", seed_governance), ("capital projects", seed_projects)):
            result = seed()
            self.stdout.write(f"  seeded {label}: {result}")
        for key, value in report.notable.items():
            self.stdout.write(f"  {key}: {value}")
        self.stdout.write("All organizations and figures are SYNTHETIC (OrgUnit.synthetic=True).")
