"""The paginator of every list endpoint: ninja's limit/offset with documented upper bounds.

Unbounded, `?offset=24099879940929220608` reached the database as an OFFSET beyond a 64-bit integer
and failed with a server error (SQLite "datatype mismatch"; PostgreSQL "bigint out of range"). With
the bounds a too-large value is a 422 {code: invalid_input} like any other invalid parameter.
"""

from __future__ import annotations

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

MAX_LIMIT = 1_000_000_000
MAX_OFFSET = 1_000_000_000


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_LIMIT, description="Items per page")
        offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Items to skip")
