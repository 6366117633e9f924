"""Template context shared by every page."""

from __future__ import annotations

from django.core.cache import cache


def bilim(request) -> dict:
    flag = cache.get("bilim:demo_synthetic")
    if flag is None:
        from bilim.registry.models import OrgUnit

        flag = OrgUnit.objects.filter(synthetic=True).exists()
        cache.set("bilim:demo_synthetic", flag, 60)
    from bilim.accounts.permissions import READ, WRITE, capabilities_of

    from .workspace import has_workspace

    user = getattr(request, "user", None)
    from bilim.formats.numbers import separators

    decimal, group = separators()
    caps = capabilities_of(user) if user is not None else {READ: {}, WRITE: {}}
    return {"demo_synthetic": flag, "can": caps[READ], "can_write": caps[WRITE],
            "number_decimal": decimal, "number_group": group,
            "has_workspace": has_workspace(user) if user is not None else False}
