"""Firmware versions compared as numbers, so that 2.10 comes after 2.9."""

import re

_NUMBER = re.compile(r"\d+")


def parse_version(text: str) -> tuple[int, ...]:
    """The numeric parts of a version string: "v2.10.3-rc1" -> (2, 10, 3, 1)."""
    return tuple(int(part) for part in _NUMBER.findall(text or ""))


def in_range(firmware: str, lowest: str = "", highest: str = "") -> bool:
    """Whether `firmware` lies in [lowest, highest]; either bound may be empty (open).

    The upper bound counts as a prefix: highest "2.2" still includes 2.2.7, which is how manuals
    write "valid for 2.2".
    """
    if not lowest and not highest:
        return True
    version = parse_version(firmware)
    if not version:
        return False
    if lowest and version < parse_version(lowest):
        return False
    if highest:
        upper = parse_version(highest)
        if version[: len(upper)] > upper:
            return False
    return True


def describe_range(lowest: str = "", highest: str = "") -> str:
    if lowest and highest:
        return f"firmware {lowest} to {highest}"
    if lowest:
        return f"firmware {lowest} and later"
    if highest:
        return f"firmware up to {highest}"
    return "any firmware"
