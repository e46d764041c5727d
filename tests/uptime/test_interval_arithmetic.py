"""Interval arithmetic agrees with counting minutes one by one, on many seeded random cases."""

import random

import pytest

from faults.uptime.intervals import clip, intersect, merge, split_by, subtract, total


def minutes(intervals) -> set[int]:
    return {m for start, end in intervals for m in range(start, end)}


def random_intervals(rng, count=8, span=300):
    return [(s, s + rng.randrange(0, 60)) for s in (rng.randrange(0, span) for _ in range(count))]


@pytest.mark.parametrize("seed", range(200))
def test_merge_intersect_subtract_and_split_match_minute_counting(seed):
    rng = random.Random(seed)
    left, right = merge(random_intervals(rng)), merge(random_intervals(rng))

    assert minutes(left) == minutes(random_intervals(random.Random(seed)))
    assert all(a[1] < b[0] for a, b in zip(left, left[1:], strict=False))  # sorted, disjoint, not touching
    assert minutes(intersect(left, right)) == minutes(left) & minutes(right)
    assert minutes(subtract(left, right)) == minutes(left) - minutes(right)
    assert total(merge(left + right)) == len(minutes(left) | minutes(right))
    assert minutes(clip(left, 50, 200)) == {m for m in minutes(left) if 50 <= m < 200}

    bounds = sorted({0, 400, *(rng.randrange(1, 400) for _ in range(6))})
    expected = [
        len({m for m in minutes(left) if lo <= m < hi}) for lo, hi in zip(bounds, bounds[1:], strict=False)
    ]
    assert split_by(left, bounds) == expected
