"""Money: an integer amount in the currency's minor unit plus an ISO 4217 code."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

# ISO 4217 currencies whose minor unit is not the cent (Stripe's list).
ZERO_DECIMAL_CURRENCIES = frozenset(
    (
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    )
)
THREE_DECIMAL_CURRENCIES = frozenset(["bhd", "jod", "kwd", "omr", "tnd"])
SYMBOLS = {
    "usd": "$",
    "eur": "€",
    "gbp": "£",
    "jpy": "¥",
    "inr": "₹",
    "krw": "₩",
    "cad": "CA$",
    "aud": "A$",
    "nzd": "NZ$",
    "chf": "CHF ",
    "brl": "R$",
    "mxn": "MX$",
}


def decimal_places(currency: str) -> int:
    currency = currency.lower()
    if currency in ZERO_DECIMAL_CURRENCIES:
        return 0
    if currency in THREE_DECIMAL_CURRENCIES:
        return 3
    return 2


class CurrencyMismatch(ValueError):
    pass


MAX_DIGITS = 13  # amounts below 10^13 major units


@dataclass(frozen=True, slots=True)
class Money:
    amount: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError("Money amounts are whole numbers of the minor unit")
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise ValueError(f"{self.currency!r} is not an ISO 4217 currency code")
        object.__setattr__(self, "currency", self.currency.lower())

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def from_decimal(cls, value: Decimal | str, currency: str) -> Money:
        """Parses an amount typed by a person ("20", "20.5", "1,250.00") in major units."""
        places = decimal_places(currency)
        text = str(value).replace(",", "").strip()
        number = Decimal(text)
        # Infinity, NaN and numbers past ten trillion are no amount anyone pays (and 1e999999 would
        # be a million-digit integer).
        if not number.is_finite() or number.adjusted() >= MAX_DIGITS:
            raise ValueError(f"{text} is not an amount")
        scaled = number.scaleb(places)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{text} has more than {places} decimal places for {currency.upper()}")
        return cls(int(scaled), currency)

    def _check(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError("Money only combines with Money")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._check(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._check(other)
        return self.amount >= other.amount

    def __bool__(self) -> bool:
        return self.amount != 0

    @property
    def decimal(self) -> Decimal:
        return Decimal(self.amount).scaleb(-decimal_places(self.currency))

    def format_number(self) -> str:
        """The amount in major units with the currency's decimals, e.g. 1,250.00 or 500."""
        places = decimal_places(self.currency)
        return f"{self.decimal:,.{places}f}"

    def format(self) -> str:
        """A person's rendering: $20.00, ¥500, 12.500 KWD."""
        number = self.format_number()
        sign = "-" if self.amount < 0 else ""
        number = number.lstrip("-")
        symbol = SYMBOLS.get(self.currency)
        if symbol:
            return f"{sign}{symbol}{number}"
        return f"{sign}{number} {self.currency.upper()}"

    def __str__(self) -> str:
        return self.format()
