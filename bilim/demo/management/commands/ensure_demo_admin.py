"""`bilim ensure_demo_admin`: create or reset the demo administrator `admin` / `bilim-demo-2026`.

For demonstration installations only: the password is public. It runs only when the installation is
a demo — development settings (`BILIM_DEBUG=1`, the default of `make demo`) or `BILIM_DEMO=1` for a
demo served with production settings. Anywhere else it refuses and changes nothing: on a production
database an `admin` account is a real administrator, and resetting its password to a published one
would hand the system to anyone who has read the README.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from bilim.accounts.models import Role
from bilim.audit import services as audit

USERNAME = "admin"
PASSWORD = "bilim-demo-2026"
DEMO_ENV = "BILIM_DEMO"


def is_demo_installation() -> bool:
    """The setting BILIM_DEMO: development settings, or an installation that declares itself a demo."""
    return bool(getattr(settings, "BILIM_DEMO", False))


class Command(BaseCommand):
    help = ("Create or update the demo superuser 'admin' (password 'bilim-demo-2026'); demo installations "
            "only (BILIM_DEBUG=1 or BILIM_DEMO=1), refused elsewhere.")

    def handle(self, *args, **opts) -> None:
        if not is_demo_installation():
            raise CommandError(f"ensure_demo_admin refused: this is not a demo installation (BILIM_DEBUG=0 "
                               f"without {DEMO_ENV}=1). It would reset the password of the administrator "
                               f"'{USERNAME}' to the published demo password. Create administrators with "
                               "'bilim users add' or 'bilim createsuperuser'.")
        User = get_user_model()
        with transaction.atomic():
            user, created = User.objects.get_or_create(username=USERNAME)
            user.is_superuser = True
            user.is_staff = True
            user.is_active = True
            user.role = Role.ADMIN
            user.scope = None
            user.set_password(PASSWORD)
            user.save()
            audit.record("cli:ensure_demo_admin", "accounts.demo_admin", "User", USERNAME, None,
                         {"created": created, "role": Role.ADMIN})
        self.stdout.write(f"{'Created' if created else 'Updated'} demo administrator — "
                          f"username: {USERNAME}  password: {PASSWORD}  (demo only; change it on a real system)")
