import pytest

from tests.analytics_django.conftest import small_demo, warehouse  # noqa: F401 - the exports' tests use them
from tests.authority.world import build_world


@pytest.fixture
def world(db):
    return build_world()
