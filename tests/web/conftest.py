import pytest

from tests.authority.world import build_world


@pytest.fixture
def world(db):
    return build_world()
