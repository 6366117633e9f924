"""Accounts tests reuse the role-per-user world of tests/security."""

from tests.security.conftest import as_role, users, world  # noqa: F401
