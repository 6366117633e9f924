"""An admin base that writes every save and delete to the audit chain.

The Django admin is a back door next to the services: whatever an administrator changes there must
leave the same trace as a change made through a page, the API or the CLI. A change page saves the
object and then its inlines (a meeting's reports, a project's milestones) as formsets; both belong to
one audit record, so an edit made only in an inline still lists the keys it changed.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.forms.models import model_to_dict

from . import services


def _snapshot(obj: Any) -> dict[str, Any] | None:
    if obj is None or obj.pk is None:
        return None
    data = model_to_dict(obj)
    # many-to-many values come back as model instances: keep their keys
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder, default=lambda v: getattr(v, "pk", str(v))))


def _label(obj: Any) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


def _flat(prefix: str, snap: dict[str, Any] | None) -> dict[str, Any]:
    """Inline rows as flat keys of the parent record: 'report:12.text_en' -> value."""
    return {f"{prefix}.{k}": v for k, v in (snap or {}).items()}


class AuditedAdmin(admin.ModelAdmin):
    """Records `admin.change`/`admin.add`/`admin.delete` with the values before and after.

    `save_model` keeps the object's state before the save; `save_related` (which the admin calls
    next, in the same transaction, with the inline formsets) saves the inlines and writes one record
    whose before/after hold the object's fields and, for every inline row added, changed or
    deleted, its fields under '<model>:<id>.<field>'."""

    _PENDING = "_bilim_admin_audit"

    def save_model(self, request, obj, form, change):
        before = _snapshot(type(obj).objects.filter(pk=obj.pk).first()) if change else None
        super().save_model(request, obj, form, change)
        setattr(request, self._PENDING, (obj, change, before))

    def save_related(self, request, form, formsets, change):
        pending = getattr(request, self._PENDING, None)
        if pending is None or pending[0] is not form.instance:
            pending = (form.instance, change, _snapshot(form.instance) if change else None)
        obj, changed, before = pending
        inline_before: dict[str, Any] = {}
        inline_after: dict[str, Any] = {}
        for formset in formsets:
            old = {}
            for f in formset.initial_forms:
                inst = f.instance
                if inst.pk is not None:
                    old[inst.pk] = _snapshot(type(inst).objects.filter(pk=inst.pk).first())
            self.save_formset(request, form, formset, change=change)
            model = formset.model._meta.model_name
            for pk, snap in old.items():
                now = _snapshot(formset.model.objects.filter(pk=pk).first())
                if now != snap:
                    inline_before |= _flat(f"{model}:{pk}", snap)
                    inline_after |= _flat(f"{model}:{pk}", now)
            for new in formset.new_objects:
                inline_after |= _flat(f"{model}:{new.pk}", _snapshot(new))
        super().save_related(request, form, [], change)  # many-to-many of the object itself
        after = _snapshot(obj)
        if inline_before or inline_after:
            before = (before or {}) | inline_before
            after = (after or {}) | inline_after
        services.record(request.user.get_username(), "admin.change" if changed else "admin.add",
                        _label(obj), obj.pk, before, after)
        if hasattr(request, self._PENDING):
            delattr(request, self._PENDING)

    def delete_model(self, request, obj):
        with transaction.atomic():
            before, pk = _snapshot(obj), obj.pk
            super().delete_model(request, obj)
            services.record(request.user.get_username(), "admin.delete", _label(obj), pk, before, None)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)
