"""School pupils followed as cohorts from one school year to the next.

`synth` gives every school a population-based enrolment for every year (district population ×
age-grade pattern × coverage, shared by size weight). Used as it is for every year, those tables
are not one cohort: next year's grade 3 came from the district's population, not from this year's
grade 2, so national promotion rates were above 100 % and dropout negative. Here only the first
school year and the pupils who enter the system each year (pre-school class G00, new entrants to
grade 1) come from those tables; everyone else is this year's pupils moved on one year:

* of the pupils of grade g, a few repeat it (`REPEAT_RATE`, 1.5 × in rural schools; one year older);
* of the rest, most continue to g+1 and some leave the system (`LEAVE_RATE`: dropout, and after
  grade 9 the third who go to colleges); grade 11's continuers are its graduates;
* of those who continue, `MOVE_RATE` change school; so do all of a school's pupils when it does not
  teach g+1 next year (a small school that ends at grade 4 or 9, a school that closes);
* a school takes movers only into the places its own leavers freed (first from its own district,
  then from anywhere), and a new school is filled from the other schools of its district.

So at every school, and hence at every level above it, ``E(g+1,t+1) − R(g+1,t+1) + R(g,t+1) ≤
E(g,t)``: promotion plus repetition never exceed 100 % and dropout is never negative, while a
school's cohort can still grow or shrink a little from migration between schools. Everything is
drawn from the generator passed in, so the data stay deterministic for a seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GRADES = 12  # G00..G11
OFFSETS = 3  # age = 5 + grade + offset
# share of a grade's pupils who repeat it next year (G00 is not repeated)
REPEAT_RATE = np.array([0.0, 0.004] + [0.002] * 8 + [0.001, 0.001])
# share of those not repeating who leave the system instead of continuing to the next grade (after
# grade 9: colleges take about a quarter; after grade 11: those who do not graduate)
LEAVE_RATE = np.array([0.0, 0.005, 0.004, 0.004, 0.005, 0.004, 0.004, 0.005, 0.005, 0.27, 0.012, 0.015])
RURAL_FACTOR = 1.5  # repetition and dropout are higher in rural schools
MOVE_RATE = 0.02  # continuers who change school between two years
G09_GRADUATE = 0.94  # share of grade-9 pupils who leave school with the basic-education certificate


@dataclass
class Flow:
    enrol: np.ndarray  # [school, year, grade, offset, sex]
    repeat: np.ndarray  # [school, year, grade, sex]: pupils repeating the grade this year
    grad: np.ndarray  # [school, year, (G09, G11), sex]: graduates at the end of the year
    newent: np.ndarray  # [school, year, offset, sex]: new entrants to grade 1 (ages 6, 7, 8)


def _sround(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    fl = np.floor(x)
    return (fl + (rng.random(x.shape) < (x - fl))).astype(np.int64)


def _group_sum(x: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum the rows of ``x`` [school, cell] by ``group`` [school] (a faster ``np.add.at``)."""
    k = x.shape[1]
    idx = (group[:, None] * k + np.arange(k)[None, :]).ravel()
    return np.bincount(idx, weights=x.ravel(), minlength=n_groups * k).reshape(n_groups, k)


def _place(pool: np.ndarray, slots: np.ndarray, group: np.ndarray, rng: np.random.Generator
           ) -> tuple[np.ndarray, np.ndarray]:
    """Share each group's movers among its schools' free places, never more than a school's places.

    ``pool`` [group, cell], ``slots`` [school, cell], ``group`` [school]; returns the pupils placed
    [school, cell] and those left over [group, cell]. Each school gets its places × the group's
    filled share, stochastically rounded (x ≤ places, so the rounding cannot exceed them).
    """
    cap = _group_sum(slots, group, len(pool))
    share = np.divide(pool, cap, out=np.zeros(pool.shape), where=cap > 0).clip(max=1.0)
    placed = _sround(slots * share[group], rng)
    got = np.rint(_group_sum(placed, group, len(pool))).astype(np.int64)
    return placed, np.maximum(pool - got, 0)


def follow(base: np.ndarray, offers: np.ndarray, is_open: np.ndarray, rural: np.ndarray, district: np.ndarray,
           rng: np.random.Generator) -> Flow:
    """Enrolment, repeaters, graduates and new entrants of every school, year by year.

    ``base`` [school, year, grade, offset, sex]: the population-based enrolment (first year, and
    G00/G01 entrants of every year, come from it; so do a new school's pupils); ``offers`` [school,
    grade]: the grades a school teaches; ``is_open`` [school, year]; ``rural`` [school];
    ``district`` [school] (index).
    """
    n, ny = base.shape[:2]
    n_dist = int(district.max()) + 1 if n else 0
    enrol = np.zeros_like(base)
    enrol[:, 0] = base[:, 0]
    repeat = np.zeros((n, ny, GRADES, 2), dtype=np.int64)
    grad = np.zeros((n, ny, 2, 2), dtype=np.int64)
    newent = np.zeros((n, ny, OFFSETS, 2), dtype=np.int64)
    factor = np.where(rural, RURAL_FACTOR, 1.0)[:, None]
    rep_p = REPEAT_RATE[None, :] * factor  # [school, grade]
    leave_p = np.minimum(LEAVE_RATE[None, :] * np.where(np.arange(GRADES) == 9, 1.0, factor), 1.0)
    # the first year was not reached by a flow: its repeaters are drawn inside its pupils, and new
    # entrants are grade 1 less its repeaters, taken from the oldest first
    rep0 = rng.binomial(enrol[:, 0].sum(axis=2), rep_p[:, :, None])
    repeat[:, 0] = rep0
    g1 = enrol[:, 0, 1].copy()
    r1 = rep0[:, 1].copy()
    for j in (2, 1, 0):
        take = np.minimum(g1[:, j], r1)
        g1[:, j] -= take
        r1 -= take
    newent[:, 0] = g1
    for yi in range(ny):
        last = yi + 1 == ny
        e = enrol[:, yi]
        teaches_next = offers & (is_open[:, yi] if last else is_open[:, yi + 1])[:, None]  # [school, grade]
        rep = rng.binomial(e, (rep_p * teaches_next)[:, :, None, None])
        stay = e - rep
        cont = rng.binomial(stay, (1.0 - leave_p)[:, :, None, None])
        grad[:, yi, 0] = (cont[:, 9] + rng.binomial(stay[:, 9] - cont[:, 9], G09_GRADUATE)).sum(axis=1)
        grad[:, yi, 1] = cont[:, 11].sum(axis=1)
        if last:
            break
        # grade g -> g+1 for g = 1..10, as cells [school, g+1, offset, sex]
        nxt = np.zeros_like(e)
        keep = teaches_next[:, 2:][:, :, None, None]  # the school teaches g+1 next year
        c = cont[:, 1:11]
        movers = np.where(keep, rng.binomial(c, MOVE_RATE), c)
        promoted = c - movers
        slots = np.where(keep, stay[:, 1:11] - promoted, 0)
        cells = slots.reshape(n, -1)
        pool = np.rint(_group_sum(movers.reshape(n, -1), district, n_dist)).astype(np.int64)
        placed, left = _place(pool, cells, district, rng)
        placed2, _lost = _place(left.sum(axis=0, keepdims=True), cells - placed, np.zeros(n, dtype=np.int64), rng)
        nxt[:, 2:] = promoted + (placed + placed2).reshape(promoted.shape)
        _fill_new_schools(nxt, base[:, yi + 1], is_open[:, yi], is_open[:, yi + 1], district, rng)
        nxt[:, :2] = base[:, yi + 1, :2]  # pre-school class and new entrants to grade 1
        newent[:, yi + 1] = base[:, yi + 1, 1]
        # repeaters stay in their grade, one year older (the oldest age group keeps them)
        nxt[:, :, 1:] += rep[:, :, :-1]
        nxt[:, :, -1] += rep[:, :, -1]
        enrol[:, yi + 1] = nxt
        repeat[:, yi + 1] = rep.sum(axis=2)
    return Flow(enrol, repeat, grad, newent)


def expected_totals(base: np.ndarray, offers: np.ndarray, is_open: np.ndarray, rural: np.ndarray) -> np.ndarray:
    """Pupils per year that `follow` will give on average (no draws): for calibrating ``base``.

    The flow keeps fewer pupils than the population tables would (those tables also grow with
    migration, which a closed cohort cannot take in), so the generator scales ``base`` to land on
    its national total in the last year. Movers are counted as placed, which they nearly all are.
    """
    ny = base.shape[1]
    factor = np.where(rural, RURAL_FACTOR, 1.0)[:, None]
    rep_p = REPEAT_RATE[None, :] * factor
    leave_p = np.minimum(LEAVE_RATE[None, :] * np.where(np.arange(GRADES) == 9, 1.0, factor), 1.0)
    e = base[:, 0].sum(axis=(2, 3))  # [school, grade]
    out = [e.sum()]
    for yi in range(ny - 1):
        rep = e * rep_p * (offers & is_open[:, yi + 1][:, None])
        nxt = rep.copy()
        nxt[:, 2:] += ((e - rep) * (1.0 - leave_p))[:, 1:11]
        nxt[:, :2] += base[:, yi + 1, :2].sum(axis=(2, 3))
        e = nxt
        out.append(e.sum())
    return np.array(out)


def _fill_new_schools(nxt: np.ndarray, target: np.ndarray, open_now: np.ndarray, open_next: np.ndarray,
                      district: np.ndarray, rng: np.random.Generator) -> None:
    """A school that opens between two censuses takes its grades 2-11 from the other schools of its
    district (the pupils it would have by its size, as far as they have them): it has no pupils of
    its own the year before, so whatever it starts with must leave a school nearby."""
    for s in np.nonzero(open_next & ~open_now)[0]:
        donors = np.nonzero((district == district[s]) & open_now & open_next)[0]
        if not len(donors):
            continue
        for g in range(2, GRADES):
            for j in range(OFFSETS):
                for x in range(2):
                    have = nxt[donors, g, j, x]
                    want = int(min(target[s, g, j, x], have.sum()))
                    if want <= 0:
                        continue
                    taken = rng.multivariate_hypergeometric(have, want)
                    nxt[donors, g, j, x] -= taken
                    nxt[s, g, j, x] += want
