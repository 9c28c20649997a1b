"""ascii_fold: names written as an address's local part can hold them."""

import pytest

from coursedesk.core.text import ascii_fold, fold


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Zoë Ñúñez", "zoe nunez"),  # accents: as fold writes them
        ("Søren Jørgensen", "soren jorgensen"),  # letters Unicode does not decompose
        ("Łukasz Đorđević", "lukasz dordevic"),
        ("Æsa Œuvre Þór Straße", "aesa oeuvre thor strasse"),
        ("李 Wei", "wei"),  # no ASCII spelling: left out
    ],
)
def test_ascii_fold_writes_every_name_in_ascii(text, expected):
    assert ascii_fold(text) == expected
    assert ascii_fold(text).isascii()


def test_ascii_fold_agrees_with_fold_on_ascii_text():
    assert ascii_fold("Sam O'Neil-Smith") == fold("Sam O'Neil-Smith") == "sam o'neil-smith"
