"""Text normalisation shared by search and uniqueness: case- and accent-insensitive."""

from __future__ import annotations

import re
import unicodedata


def fold(text: str) -> str:
    """Lower-cases and strips accents: "Zoë Ñúñez" -> "zoe nunez"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


# Letters Unicode does not decompose into a plain letter and an accent, written as ASCII would.
_UNDECOMPOSED = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i"}
)


def ascii_fold(text: str) -> str:
    """`fold(text)` in ASCII alone, what an address's local part can hold: "Søren Łukasz" ->
    "soren lukasz". Any character with no ASCII spelling is left out."""
    return " ".join(fold(text).translate(_UNDECOMPOSED).encode("ascii", "ignore").decode().split())


def customer_search_text(first_name: str, last_name: str, email: str, *more: str) -> str:
    """What customer search matches against: folded full name and email (then tags and other
    addresses, when the customer has them), one string."""
    return fold(" ".join([first_name, last_name, email, *more]))


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


# Control characters: C0 (NUL, CR, LF, ESC...), DEL and C1, plus the Unicode line and paragraph
# separators. Databases refuse NUL in text, mail headers break on CR/LF, and none of them belongs in
# a name, an email address or a search. Text typed in a box of several lines keeps tab, CR and LF.
_CONTROL = "".join(chr(code) for code in [*range(0x00, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029])
_ONE_LINE = re.compile(f"[{re.escape(_CONTROL)}]")
_MULTILINE = re.compile(
    f"[{re.escape(_CONTROL.replace(chr(9), '').replace(chr(10), '').replace(chr(13), ''))}]"
)


def has_control_characters(text: str, *, multiline: bool = False) -> bool:
    """True when `text` holds a control character (for multiline text: other than tab, CR, LF)."""
    return bool((_MULTILINE if multiline else _ONE_LINE).search(text or ""))


CONTROL_CHARACTERS_MESSAGE = "Use letters, digits and punctuation only: no control characters or line breaks."


def without_control_characters(text: str) -> str:
    """`text` with each control character turned into a space (search terms: a control character
    matches nothing, and would break SQLite's full-text query syntax)."""
    return _ONE_LINE.sub(" ", text or "")
