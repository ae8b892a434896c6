"""VAT on an invoice line, worked out as Sage's invoicing guide asks an integrator to.

Sage's v3.1 spec makes a line's ``tax_amount`` "required in v3.1, unless the tax rate is of a
'zero', 'exempt' or 'no_tax' type", and the Invoicing guide ([G-inv] in
``sage-guides-facts.md``) says the application must compute it as
``net_amount * percentage / 100`` rounded to 2 decimals, and that an omitted amount becomes
zero. So a line with a tax rate and no tax amount would book no VAT on real Sage: the pack works
the amount out here, in one place shared by sales and purchase invoices, create and update.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
HUNDRED = Decimal(100)

# [G-inv] fixes the precision ("rounded to 2 decimals, the only precision Sage supports") but
# not the mode. Half up is the rounding HMRC's VAT Notice 700 (section 17.5, "rounding of
# amounts") accepts for VAT worked out line by line: to the nearest penny, a half penny up.
# Inferred, not confirmed by Sage: a caller who needs another mode passes ``rounding``.
ROUNDING = ROUND_HALF_UP


@dataclass(frozen=True)
class LineAmounts:
    """A line's amounts as Sage books them: ``net + tax == total``, each to the penny."""

    net: Decimal
    tax: Decimal
    total: Decimal


def to_cent(amount: Decimal, rounding: str = ROUNDING) -> Decimal:
    """``amount`` to 2 decimals, the only precision Sage supports ([G-inv])."""
    return amount.quantize(CENT, rounding=rounding)


def line_amounts(
    quantity: Decimal,
    unit_price: Decimal,
    percentage: Decimal,
    *,
    includes_tax: bool = False,
    discount_amount: Decimal | None = None,
    discount_percentage: Decimal | None = None,
    rounding: str = ROUNDING,
) -> LineAmounts:
    """Net, tax and total of one invoice line at a tax rate of ``percentage`` percent.

    The line's amount is ``quantity * unit_price`` less its discount (``discount_amount``, or
    else ``discount_percentage`` of the amount), to the penny. Tax is
    ``net * percentage / 100`` to the penny ([G-inv]). With ``includes_tax`` the amount is
    gross: the net is ``gross * 100 / (100 + percentage)`` to the penny and the tax is what is
    left, so that net + tax is exactly the gross the caller priced. A zero rate gives ``0.00``.
    """
    amount = to_cent(quantity * unit_price, rounding)
    if discount_amount is not None:
        discount = to_cent(discount_amount, rounding)
    elif discount_percentage is not None:
        discount = to_cent(amount * discount_percentage / HUNDRED, rounding)
    else:
        discount = Decimal("0.00")
    line = amount - discount
    if includes_tax:
        net = to_cent(line * HUNDRED / (HUNDRED + percentage), rounding)
        return LineAmounts(net=net, tax=line - net, total=line)
    tax = to_cent(line * percentage / HUNDRED, rounding)
    return LineAmounts(net=line, tax=tax, total=line + tax)


def current_percentage(rate: Mapping[str, Any]) -> Decimal:
    """The percentage a tax rate applies today, from Sage's ``GET /tax_rates/{key}`` body.

    Sage sends ``percentage`` (the current one, a string such as ``"20.0"``) beside a
    ``percentages`` history (``from_date``/``to_date``); the open-ended history entry is the
    current one when ``percentage`` is absent. A rate with neither cannot be priced, and
    guessing zero would book no VAT silently, so that is an error naming the rate.
    """
    raw = rate.get("percentage")
    if raw is None or raw == "":
        history = rate.get("percentages") or []
        current = [p for p in history if isinstance(p, Mapping) and p.get("to_date") is None]
        raw = current[-1].get("percentage") if current else None
    if raw is None or raw == "" or isinstance(raw, bool):
        raise ValueError(
            f"tax rate {rate.get('id')!r} has no percentage; give the line's taxAmount instead"
        )
    try:
        value = Decimal(str(raw))
    except ArithmeticError:
        raise ValueError(
            f"tax rate {rate.get('id')!r} has a percentage {raw!r} that is not a number"
        ) from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"tax rate {rate.get('id')!r} has a percentage {raw!r} that is not a rate")
    return value
