"""Template context shared by every page."""

from __future__ import annotations

from django.core.cache import cache


def bilim(request) -> dict:
    flag = cache.get("bilim:demo_synthetic")
    if flag is None:
        from bilim.registry.models import OrgUnit

        flag = OrgUnit.objects.filter(synthetic=True).exists()
        cache.set("bilim:demo_synthetic", flag, 60)
    from bilim.accounts.permissions import READ, capabilities_of

    user = getattr(request, "user", None)
    from bilim.formats.numbers import separators

    decimal, group = separators()
    return {"demo_synthetic": flag, "can": capabilities_of(user)[READ] if user is not None else {},
            "number_decimal": decimal, "number_group": group}
