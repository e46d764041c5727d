"""Free text as chargers send it, normalised so that one pattern catches many spellings.

Vendors write the same thing as "EMERGENCY_STOP", "[42300]Emergency stop", "EmergencyStop" or
"Not-Aus": text is folded to lower-case ASCII words before matching, and patterns are phrases of
whole words whose separators are optional ("nood stop" also matches "noodstop").
"""

import re
import unicodedata

# Letters that Unicode decomposition leaves alone but Nordic and Central-European vendors use.
_FOLD = str.maketrans({"ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "ł": "l", "Ł": "l", "đ": "d", "Đ": "d"})
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
REGEX_PREFIX = "re:"


def normalise(text: str) -> str:
    """Lower-case ASCII words and single spaces: "[42300]Emergency_Stop" -> "42300 emergency stop"."""
    if not text:
        return ""
    text = _CAMEL.sub(" ", text.translate(_FOLD))
    text = unicodedata.normalize("NFKD", text)
    text = "".join(char for char in text if not unicodedata.combining(char))
    return _NOT_WORD.sub(" ", text.casefold()).strip()


def phrase_regex(pattern: str) -> str:
    """The regular expression for a phrase pattern.

    Words must appear in order as whole words; the separators between them are optional; a word
    ending in * matches any word starting with it. "re:<regex>" is taken as a regular expression
    over the normalised text.
    """
    pattern = pattern.strip()
    if pattern.startswith(REGEX_PREFIX):
        return pattern[len(REGEX_PREFIX) :].strip()
    pieces: list[str] = []
    for token in pattern.split():
        words = normalise(token).split()
        if not words:
            continue
        pieces.extend(re.escape(word) for word in words)
        if token.endswith("*"):
            pieces[-1] += "[a-z0-9]*"
    if not pieces:
        raise ValueError("A pattern needs at least one letter or digit.")
    return r"\b" + " ?".join(pieces) + r"\b"


def compile_pattern(pattern: str) -> re.Pattern:
    """Compile a phrase (or "re:" regular expression) pattern; raises ValueError when it is invalid."""
    try:
        return re.compile(phrase_regex(pattern))
    except re.error as error:
        raise ValueError(f"Not a valid pattern: {error}.") from None
