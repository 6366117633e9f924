"""`bilim ensure_demo_admin`: create or reset the demo administrator `admin` / `bilim-demo-2026`.

For demonstration installations only: the password is public. Never run it on a production database.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from bilim.accounts.models import Role

USERNAME = "admin"
PASSWORD = "bilim-demo-2026"


class Command(BaseCommand):
    help = "Create or update the demo superuser 'admin' (password 'bilim-demo-2026'); demo installations only."

    def handle(self, *args, **opts) -> None:
        User = get_user_model()
        user, created = User.objects.get_or_create(username=USERNAME)
        user.is_superuser = True
        user.is_staff = True
        user.is_active = True
        user.role = Role.ADMIN
        user.scope = None
        user.set_password(PASSWORD)
        user.save()
        self.stdout.write(f"{'Created' if created else 'Updated'} demo administrator — "
                          f"username: {USERNAME}  password: {PASSWORD}  (demo only; change it on a real system)")
