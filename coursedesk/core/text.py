"""Text normalisation shared by search and uniqueness: case- and accent-insensitive."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower-cases and strips accents: "Zoë Ñúñez" -> "zoe nunez"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def customer_search_text(first_name: str, last_name: str, email: str) -> str:
    """What customer search matches against: folded full name and email, one string."""
    return fold(f"{first_name} {last_name} {email}")


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()
