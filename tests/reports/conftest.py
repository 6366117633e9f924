"""The small demo and its warehouse once per module (the fixtures of tests/analytics_django)."""

from tests.analytics_django.conftest import small_demo, warehouse  # noqa: F401
