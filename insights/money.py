"""Revenue as people read it: an ISO 4217 currency and thousands separators, on the dashboard and the CLI.

The lake holds amounts, not a currency (AdventureWorks' are US dollars), so the currency is a display
setting: `--currency` or `INSIGHTS_CURRENCY`. Standard library only, so the CLI checks it at the door.
"""

from __future__ import annotations

from decimal import Decimal

DEFAULT_CURRENCY = "USD"


class CurrencyError(ValueError):
    """A currency that is not an ISO 4217 code."""


def check_currency(code: str) -> str:
    """An ISO 4217 code: three capital letters, such as USD or EUR."""
    if not (len(code) == 3 and code.isascii() and code.isalpha() and code.isupper()):
        raise CurrencyError(f"currency {code!r} is not an ISO 4217 code such as USD or EUR")
    return code


def money_text(amount: str | Decimal, currency: str = DEFAULT_CURRENCY) -> str:
    """An amount with its currency and thousands separators: USD 1,953,632.49."""
    return f"{currency} {Decimal(amount):,}"
