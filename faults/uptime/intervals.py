"""Exact interval arithmetic on whole minutes.

Times are counted in minutes since the Unix epoch, and an interval is a half-open `(start, end)` pair
of ints. A list of intervals is "normal" when sorted, non-empty and non-overlapping; every function
here returns normal lists, so sums of lengths never count the same minute twice.
"""

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Interval = tuple[int, int]


def minute_floor(moment: datetime) -> int:
    return int((moment - EPOCH) // timedelta(minutes=1))


def minute_ceil(moment: datetime) -> int:
    return -int((EPOCH - moment) // timedelta(minutes=1))


def to_datetime(minute: int) -> datetime:
    return EPOCH + timedelta(minutes=minute)


def outward(start: datetime, end: datetime) -> Interval:
    """Downtime rounds outward: a minute in which the port was down at any moment counts as down."""
    return minute_floor(start), minute_ceil(end)


def inward(start: datetime, end: datetime) -> Interval:
    """Credits (exclusions, service periods) round inward: only whole minutes are credited."""
    return minute_ceil(start), minute_floor(end)


def merge(intervals) -> list[Interval]:
    """Sort and join overlapping or touching intervals; drop empty ones."""
    merged: list[list[int]] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1][1] = end
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def intersect(left: list[Interval], right: list[Interval]) -> list[Interval]:
    """The minutes in both normal lists."""
    result = []
    i = j = 0
    while i < len(left) and j < len(right):
        start = max(left[i][0], right[j][0])
        end = min(left[i][1], right[j][1])
        if start < end:
            result.append((start, end))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return result


def subtract(left: list[Interval], right: list[Interval]) -> list[Interval]:
    """The minutes of normal list `left` that are not in normal list `right`."""
    result = []
    j = 0
    for start, end in left:
        cursor = start
        while j < len(right) and right[j][1] <= cursor:
            j += 1
        k = j
        while k < len(right) and right[k][0] < end:
            if right[k][0] > cursor:
                result.append((cursor, right[k][0]))
            cursor = max(cursor, right[k][1])
            k += 1
        if cursor < end:
            result.append((cursor, end))
    return result


def clip(intervals: list[Interval], start: int, end: int) -> list[Interval]:
    return intersect(intervals, [(start, end)]) if end > start else []


def total(intervals: list[Interval]) -> int:
    return sum(end - start for start, end in intervals)


def split_by(intervals: list[Interval], boundaries: list[int]) -> list[int]:
    """Minutes of a normal list falling in each [boundaries[k], boundaries[k+1]) bucket."""
    sums = [0] * (len(boundaries) - 1)
    k = 0
    for start, end in intervals:
        while k < len(sums) and boundaries[k + 1] <= start:
            k += 1
        m = k
        while m < len(sums) and boundaries[m] < end:
            overlap = min(end, boundaries[m + 1]) - max(start, boundaries[m])
            if overlap > 0:
                sums[m] += overlap
            if boundaries[m + 1] >= end:
                break
            m += 1
    return sums
