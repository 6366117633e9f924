"""An admin base that writes every save and delete to the audit chain.

The Django admin is a back door next to the services: whatever an administrator changes there must
leave the same trace as a change made through a page, the API or the CLI.
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


class AuditedAdmin(admin.ModelAdmin):
    """Records `admin.change`/`admin.add`/`admin.delete` with the values before and after."""

    def _label(self, obj: Any) -> str:
        return f"{obj._meta.app_label}.{obj._meta.model_name}"

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            before = _snapshot(type(obj).objects.filter(pk=obj.pk).first()) if change else None
            super().save_model(request, obj, form, change)
            services.record(request.user.get_username(), "admin.change" if change else "admin.add",
                            self._label(obj), obj.pk, before, _snapshot(obj))

    def delete_model(self, request, obj):
        with transaction.atomic():
            before, pk = _snapshot(obj), obj.pk
            super().delete_model(request, obj)
            services.record(request.user.get_username(), "admin.delete", self._label(obj), pk, before, None)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)
