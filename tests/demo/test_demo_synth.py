"""The in-memory generator: deterministic by seed, plausible by construction (no database)."""

from __future__ import annotations

import numpy as np

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


def test_national_shape():
    c = synth.generate("national", 2026)
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
