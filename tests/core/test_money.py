from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coursedesk.core.money import CurrencyMismatch, Money


def test_adds_and_subtracts_in_minor_units():
    assert Money(4900, "usd") - Money(2000, "usd") == Money(2900, "usd")
    assert Money(1, "usd") + Money(99, "usd") == Money(100, "usd")


def test_refuses_to_mix_currencies():
    with pytest.raises(CurrencyMismatch):
        Money(100, "usd") + Money(100, "eur")
    with pytest.raises(CurrencyMismatch):
        Money(100, "usd") < Money(100, "eur")  # noqa: B015


def test_refuses_fractions_of_the_minor_unit():
    with pytest.raises(TypeError):
        Money(10.5, "usd")


def test_currency_codes_are_normalised_to_lower_case():
    assert Money(100, "USD").currency == "usd"
    with pytest.raises(ValueError):
        Money(100, "dollars")


@pytest.mark.parametrize(
    ("money", "shown"),
    [
        (Money(2000, "usd"), "$20.00"),
        (Money(4999, "usd"), "$49.99"),
        (Money(123456789, "usd"), "$1,234,567.89"),
        (Money(5, "eur"), "€0.05"),
        (Money(500, "jpy"), "¥500"),
        (Money(1500, "krw"), "₩1,500"),
        (Money(12500, "kwd"), "12.500 KWD"),
        (Money(999, "sek"), "9.99 SEK"),
        (Money(-2000, "usd"), "-$20.00"),
    ],
)
def test_formats_two_zero_and_three_decimal_currencies(money, shown):
    assert money.format() == shown


@pytest.mark.parametrize(
    ("typed", "currency", "amount"),
    [("20", "usd", 2000), ("20.5", "usd", 2050), ("1,250.00", "usd", 125000), ("500", "jpy", 500)],
)
def test_parses_what_a_person_types(typed, currency, amount):
    assert Money.from_decimal(typed, currency) == Money(amount, currency)


def test_refuses_more_decimals_than_the_currency_has():
    with pytest.raises(ValueError, match="decimal places"):
        Money.from_decimal("20.001", "usd")
    with pytest.raises(ValueError):
        Money.from_decimal("500.5", "jpy")


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(["usd", "jpy", "kwd", "eur"]))
def test_formatting_and_parsing_round_trip(amount, currency):
    money = Money(amount, currency)
    assert Money.from_decimal(Decimal(money.format_number().replace(",", "")), currency) == money
