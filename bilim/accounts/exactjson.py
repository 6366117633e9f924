"""Django's JSON serializer without its millisecond rounding of datetimes, for exact backups.

DjangoJSONEncoder cuts microseconds to milliseconds; audit records hash their full timestamp, so a
backup must keep every digit or the restored chain would no longer verify.
"""

from __future__ import annotations

import datetime as dt

from django.core.serializers import json as dj_json
from django.core.serializers.json import Deserializer, DjangoJSONEncoder

__all__ = ["Deserializer", "Serializer"]


class ExactEncoder(DjangoJSONEncoder):
    def default(self, o):
        if isinstance(o, (dt.datetime, dt.time)):
            return o.isoformat()
        return super().default(o)


class Serializer(dj_json.Serializer):
    def _init_options(self):
        super()._init_options()
        self.json_kwargs["cls"] = ExactEncoder
