import pytest

from .world import build_world


@pytest.fixture
def world(db, act):
    return build_world(act)
