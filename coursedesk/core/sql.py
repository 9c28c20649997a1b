"""SQL text written by the code itself (never from input): quoted literals, IN lists and CASE labels,
for the statements built as text (the students CSV's SELECT, the triggers that keep its cells)."""

from __future__ import annotations


def literal(text: str) -> str:
    """A string constant, its quotes doubled."""
    return "'" + str(text).replace("'", "''") + "'"


def in_list(values) -> str:
    """`(…)` of the values as string constants, sorted so the same values give the same text."""
    return "(" + ", ".join(literal(value) for value in sorted(values)) + ")"


def case_labels(expression: str, choices) -> str:
    """CASE turning each stored value of `choices` (value, label) into its label; others are NULL."""
    whens = " ".join(f"WHEN {literal(value)} THEN {literal(label)}" for value, label in choices)
    return f"CASE {expression} {whens} END"
