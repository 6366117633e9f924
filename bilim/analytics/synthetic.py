"""A small deterministic synthetic warehouse covering every data element of the catalogue.

Used by the tests (cross-backend equality, explainability, property checks) and by benchmarks
(scale it up with ``schools_per_district``).  It is not the national demo dataset
(``bilim.demo``); it only has to exercise every code path of the engine, including a school that
moves between districts and population figures that carry an area.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .warehouse import closure_from_parents

__all__ = ["MOVE_DATE", "SyntheticWarehouse", "synthetic_warehouse"]

MOVE_DATE = dt.date(2025, 1, 1)
"""The first school of the first district moves to the second district on this date."""

SEX = ("F", "M")


@dataclass
class SyntheticWarehouse:
    facts: pd.DataFrame
    org_units: pd.DataFrame
    closure: pd.DataFrame
    parents: pd.DataFrame
    moved_school: str


def synthetic_warehouse(
    seed: int = 7,
    *,
    regions: int = 2,
    districts_per_region: int = 2,
    schools_per_district: int = 3,
    school_years: tuple[int, ...] = (2023, 2024, 2025),
) -> SyntheticWarehouse:
    """Build the frames of a synthetic warehouse (load them with ``load_warehouse``)."""
    rng = np.random.default_rng(seed)
    units: list[dict] = [dict(ou_id=1, code="KZ", kind="republic", name_en="Kazakhstan")]
    parents: list[tuple] = []
    next_id = 2
    districts, schools, kindergartens = [], [], []
    for r in range(regions):
        rid = next_id
        next_id += 1
        units.append(dict(ou_id=rid, code=f"KZ-R{r + 1}", kind="region", name_en=f"Region {r + 1}"))
        parents.append((rid, 1, None, None))
        for d in range(districts_per_region):
            did = next_id
            next_id += 1
            units.append(
                dict(ou_id=did, code=f"D{r + 1}{d + 1}", kind="district", name_en=f"District {r + 1}.{d + 1}")
            )
            parents.append((did, rid, None, None))
            districts.append(did)
            for s in range(schools_per_district):
                sid = next_id
                next_id += 1
                area = "URBAN" if s % 2 == 0 else "RURAL"
                units.append(
                    dict(ou_id=sid, code=f"S{sid:04d}", kind="organization", org_type="SCHOOL", area=area,
                         ownership="PUBLIC", shifts=int(rng.integers(1, 4)), emergency=bool(rng.random() < 0.3),
                         capacity=float(rng.integers(200, 1200)), name_en=f"School {sid}")
                )  # fmt: skip
                schools.append(sid)
                parents.append((sid, did, None, None))
            kid = next_id
            next_id += 1
            units.append(dict(ou_id=kid, code=f"K{kid:04d}", kind="organization", org_type="PRESCHOOL",
                              area="URBAN", ownership="PUBLIC", shifts=1, emergency=False, capacity=150.0,
                              name_en=f"Kindergarten {kid}"))  # fmt: skip
            kindergartens.append(kid)
            parents.append((kid, did, None, None))
    # one school moves from the first district to the second on MOVE_DATE
    moved = schools[0]
    parents = [p for p in parents if p[0] != moved]
    parents += [(moved, districts[0], None, MOVE_DATE), (moved, districts[1], MOVE_DATE, None)]
    parents_df = pd.DataFrame(parents, columns=["child_id", "parent_id", "valid_from", "valid_to"])
    closure = closure_from_parents(parents_df)

    facts: list[tuple] = []

    def add(de, period, ou, value, **cats):
        facts.append((de, period, ou, cats.get("sex"), cats.get("age"), cats.get("grade"), cats.get("qual"),
                      cats.get("exp"), cats.get("lang"), cats.get("area"), float(value)))  # fmt: skip

    for year in school_years:
        p = f"{year}S"
        for sid in schools:
            size = rng.integers(15, 40)
            for g in range(0, 12):
                for sex in SEX:
                    base = int(size + rng.integers(-5, 6))
                    on_age = base - int(rng.integers(0, 4))
                    add("ENROL", p, sid, on_age, sex=sex, grade=f"G{g:02d}", age=f"A{g + 5:02d}")
                    add("ENROL", p, sid, base - on_age, sex=sex, grade=f"G{g:02d}", age=f"A{g + 6:02d}")
                    if g >= 1:
                        add("REPEAT", p, sid, int(rng.integers(0, 3)), sex=sex, grade=f"G{g:02d}")
                if g >= 1:
                    add("CLASSES", p, sid, 1 + int(rng.integers(0, 2)), grade=f"G{g:02d}")
            for sex in SEX:
                add("NEWENT", p, sid, int(size - rng.integers(0, 5)), sex=sex, age="A06")
                add("NEWENT", p, sid, int(rng.integers(0, 4)), sex=sex, age="A07")
                for g in ("G04", "G09", "G11"):
                    add("GRAD", p, sid, int(size - rng.integers(0, 6)), sex=sex, grade=g)
                for q in ("TRAINED", "UNTRAINED"):
                    add("TEACH", p, sid, int(rng.integers(3, 25)) if q == "TRAINED" else int(rng.integers(0, 6)),
                        sex=sex, qual=q)  # fmt: skip
                takers = int(rng.integers(10, 30))
                add("UNT_TAKERS", p, sid, takers, sex=sex)
                add("UNT_SCORE_SUM", p, sid, takers * float(rng.integers(60, 110)), sex=sex)
            if rng.random() < 0.7:
                add("CAPACITY", p, sid, float(rng.integers(200, 1200)))
            add("COMPUTERS", p, sid, int(rng.integers(5, 80)))
            add("BROADBAND", p, sid, int(rng.random() < 0.6))
            add("EXPEND", str(year), sid, float(rng.integers(50, 400)) * 1e6, exp="CURRENT")
            add("EXPEND", str(year), sid, float(rng.integers(0, 50)) * 1e6, exp="CAPITAL")
        for kid in kindergartens:
            for sex in SEX:
                for a in range(1, 7):
                    add("PRESCH_ENROL", p, kid, int(rng.integers(5, 30)), sex=sex, age=f"A{a:02d}")
                for a in range(6, 18):
                    add("ADDED_ENROL", p, kid, int(rng.integers(0, 15)), sex=sex, age=f"A{a:02d}")
            add("EXPEND", str(year), kid, float(rng.integers(20, 90)) * 1e6, exp="CURRENT")
        for did in districts:
            for sex in SEX:
                for a in range(0, 20):
                    for area in ("URBAN", "RURAL"):
                        add("POP", str(year), did, int(rng.integers(60, 160)), sex=sex, age=f"A{a:02d}", area=area)
        for u in units:
            if u["kind"] in ("region", "republic"):
                add("GDP_PC", str(year), u["ou_id"], float(rng.integers(3, 9)) * 1e6)
    cols = ["de", "period", "ou_id", "sex", "age", "grade", "qual", "exp", "lang", "area", "value"]
    return SyntheticWarehouse(
        facts=pd.DataFrame(facts, columns=cols),
        org_units=pd.DataFrame(units),
        closure=closure,
        parents=parents_df,
        moved_school=f"S{moved:04d}",
    )
