"""The in-memory generator: deterministic by seed, plausible by construction (no database)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from bilim.demo import geography as geo
from bilim.demo import synth
from bilim.registry.bin import is_valid


def test_same_seed_same_country_other_seed_other_country():
    a, b, c = synth.generate("small", 7), synth.generate("small", 7), synth.generate("small", 8)
    assert [o.code for o in a.all_orgs()] == [o.code for o in b.all_orgs()]
    assert np.array_equal(a.enrol, b.enrol) and np.array_equal(a.pop, b.pop)
    assert [o.code for o in a.all_orgs()] != [o.code for o in c.all_orgs()]


def test_district_codes_are_the_same_at_both_scales():
    small = {(d.final_region, d.name_en): d.code for d in synth.generate("small", 1).districts}
    national = {(d.final_region, d.name_en): d.code for d in synth.generate("national", 1).districts}
    assert small.items() <= national.items()
    assert national[("KZ-10", "Semey City")] == "KZ-63-012"


@pytest.fixture(scope="module")
def national():
    return synth.generate("national", 2026)


def test_national_shape(national):
    c = national
    assert 190 <= len(c.districts) <= 230
    assert 7000 <= len(c.schools) <= 8000
    assert 9000 <= len(c.preschools) <= 11000
    assert 700 <= len(c.colleges) <= 900 and len(c.universities) == 120
    pupils = c.enrol.sum(axis=(0, 2, 3, 4))
    assert abs(pupils[-1] - 3_600_000) < 20_000
    assert all(np.diff(pupils) > 0)
    urban = np.array([o.area == "URBAN" for o in c.schools])
    assert 0.33 < urban.mean() < 0.47  # ~40 % of schools are urban ...
    p2024 = c.enrol[:, -1].sum(axis=(1, 2, 3))
    assert p2024[urban].sum() / p2024.sum() > 0.5  # ... but most pupils are
    ger1 = c.enrol[:, -1, 1:5].sum() / c.pop[:, -1, 6:10].sum()
    assert 0.95 < ger1 < 1.05
    assert sum(o.shifts == 3 for o in c.schools) > 50
    assert all(is_valid(o.code) for o in c.all_orgs())
    assert len({o.code for o in c.all_orgs()}) == len(c.all_orgs())
    # every region of today has a palace and both stations (Shymkent inherits South Kazakhstan's)
    for region in geo.load_regions():
        subtypes = {o.subtype for o in c.additional if o.region_role in (region, "KZ-YUZ" if region == "KZ-79" else "")}
        assert {"PALACE", "YOUNG_TOURISTS", "YOUNG_NATURALISTS"} <= subtypes, region


def test_age_grade_pattern():
    c = synth.generate("small", 3)
    g1 = c.enrol[:, -1, 1].sum(axis=(0, 2))  # grade 1 by offset: ages 6, 7, 8
    assert g1[0] / g1.sum() > 0.6 and g1[2] / g1.sum() < 0.1


def _flow_excess(c, group: np.ndarray | None) -> int:
    """Largest ``E(g+1,t+1) - R(g+1,t+1) + R(g,t+1) - E(g,t)`` (grade 11: graduates for the first two
    terms) over every grade and pair of years, summed by ``group`` [school] (None: school by school,
    only schools open in year t: a school that opens later has no pupils to promote)."""
    e = c.enrol.sum(axis=3)  # [school, year, grade, sex]
    r = c.repeat
    lhs = np.concatenate([e[:, 1:, 2:] - r[:, 1:, 2:] + r[:, 1:, 1:11], c.grad[:, :-1, 1:] + r[:, 1:, 11:]], axis=2)
    rhs = e[:, :-1, 1:]  # grades 1..11 of year t
    if group is None:
        years = [dt.date(y, 10, 1) for y in synth.YEARS[:-1]]
        open_then = np.array([[o.open_on(day) for day in years] for o in c.schools])
        diff = np.where(open_then[:, :, None, None], lhs - rhs, np.iinfo(np.int64).min)
        return int(diff.max())
    out = np.zeros((group.max() + 1, *lhs.shape[1:]), dtype=np.int64)
    np.add.at(out, group, lhs - rhs)
    return int(out.max())


@pytest.mark.parametrize("seed", [2026, 5])
def test_every_school_promotes_and_holds_back_at_most_its_pupils(seed):
    c = synth.generate("small", seed)
    assert _flow_excess(c, None) <= 0


def test_districts_and_the_country_keep_their_cohorts_with_new_and_closed_schools(national):
    c = national
    assert any(o.opened for o in c.schools) and any(o.closed for o in c.schools)
    assert _flow_excess(c, np.array([o.district for o in c.schools])) <= 0
    assert _flow_excess(c, np.zeros(len(c.schools), dtype=int)) <= 0


def test_national_flows_are_those_of_kazakhstan(national):
    e = national.enrol.sum(axis=(0, 3, 4))  # [year, grade]
    r = national.repeat.sum(axis=(0, 3))
    repetition = r[1:, 1:11] / e[:-1, 1:11]
    promotion = (e[1:, 2:] - r[1:, 2:]) / e[:-1, 1:11]
    dropout = 1 - promotion - repetition
    assert (repetition < 0.01).all()
    assert ((dropout[:, :4] > 0) & (dropout[:, :4] < 0.01)).all()  # primary
    survival = np.prod(promotion[:, :3] / (1 - repetition[:, :3]), axis=1)  # to grade 4
    assert ((survival > 0.97) & (survival < 0.99)).all()


def test_new_entrants_and_repeaters_make_up_grade_one(national):
    g1 = national.enrol[:, :, 1].sum(axis=2)  # [school, year, sex]
    assert np.array_equal(national.newent.sum(axis=2) + national.repeat[:, :, 1], g1)
