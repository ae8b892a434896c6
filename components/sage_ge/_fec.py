"""The FEC (Fichier des Écritures Comptables, LPF art. A47 A-1), pure: Chift journal entries in,
the file's text and name out.

Chift's own FEC export has 17 fields and omits EcritureLib; this one writes the 18 columns the
article lists, in its order, dates as AAAAMMJJ, and refuses an entry that does not balance
rather than writing a file the tax administration would reject.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

COLUMNS = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
SEPARATORS = {"tab": "\t", "pipe": "|"}
Separator = Literal["tab", "pipe"]
SIREN_PATTERN = r"^[0-9]{9}$"
_SIREN = re.compile(SIREN_PATTERN)
#: The marker Sage GE entries carry in their reference (sage_ge._rules.MARKER): the sender's
#: technical check, not part of the piece reference a FEC reader looks for.
_MARKER = re.compile(r"\s*#[A-Z]{5}#")
#: Characters a field may not hold: the separators and line breaks would shift the columns.
_BREAKS = re.compile(r"[\t|\r\n]+")


class FECError(ValueError):
    """Entries that cannot go into a FEC as they are (each named, with why)."""


def siren_problem(siren: str) -> str | None:
    """What is wrong with a SIREN, or None: 9 digits whose last is the Luhn check digit
    (INSEE's key), so a mistyped digit or two swapped neighbours is caught."""
    if not _SIREN.fullmatch(siren):
        digits = sum(c.isdigit() for c in siren)
        hint = f" (it has {digits} digits)" if siren.isdigit() else " (digits only, no spaces)"
        return f"expected the company's 9-digit SIREN, got {siren!r}{hint}"
    total = 0
    for position, char in enumerate(reversed(siren)):
        digit = int(char) * (2 if position % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    if total % 10:
        return (
            f"{siren!r} is not a valid SIREN: its check digit does not match (a digit mistyped "
            "or two swapped?); copy it from the company's Kbis or avis de situation"
        )
    return None


def file_name(siren: str, closing: date) -> str:
    """``<SIREN>FEC<AAAAMMJJ>.txt``, the date being the fiscal year's closing date."""
    problem = siren_problem(siren)
    if problem is not None:
        raise FECError(f"siren: {problem}")
    return f"{siren}FEC{closing:%Y%m%d}.txt"


def fec_date(value: Any) -> str:
    """A date (or YYYY-MM-DD text) as AAAAMMJJ; empty when there is none."""
    if value in (None, ""):
        return ""
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return f"{day:%Y%m%d}"


def _amount(value: Any, where: str) -> Decimal:
    try:
        # str() first: a JSON float such as 0.1 becomes the Decimal its text reads as.
        amount = Decimal(str(value if value is not None else 0))
    except InvalidOperation:
        raise FECError(f"{where}: the amount {value!r} is not a number") from None
    if not amount.is_finite():
        raise FECError(f"{where}: the amount {value!r} is not a number")
    return amount


def _text(value: Any) -> str:
    return "" if value is None else _BREAKS.sub(" ", str(value)).strip()


def _money(amount: Decimal, point: str) -> str:
    return f"{amount.quantize(Decimal('0.01')):f}".replace(".", point)


def rows(
    entries: Iterable[Mapping[str, Any]],
    journals: Mapping[str, Mapping[str, Any]],
    *,
    point: str = ",",
    currency: str = "EUR",
) -> list[tuple[str, ...]]:
    """One row per line of every entry, in the entries' order.

    Args:
        entries: Chift journal entries (``JournalEntryMonoAnalyticPlan``).
        journals: Chift journals by id, for each entry's code and name.
        point: the decimal separator of amounts (French practice is the comma).
        currency: the dossier's currency; lines in another fill Montantdevise and Idevise.
    """
    out: list[tuple[str, ...]] = []
    problems: list[str] = []
    for position, entry in enumerate(entries):
        number = _text(entry.get("name") or entry.get("id"))
        where = f"entry {number or position}"
        journal = journals.get(str(entry.get("journal_id")), {})
        code = _text(journal.get("code") or entry.get("journal_id"))
        name = _text(journal.get("name") or entry.get("journal_name") or code)
        day = fec_date(entry.get("date"))
        if not day:
            problems.append(f"{where}: has no date")
            continue
        items: Sequence[Mapping[str, Any]] = entry.get("items") or ()
        if not items:
            problems.append(f"{where}: has no lines")
            continue
        debit = credit = Decimal(0)
        lines = []
        for index, item in enumerate(items):
            d = _amount(item.get("debit"), f"{where}, line {index} debit")
            c = _amount(item.get("credit"), f"{where}, line {index} credit")
            debit += d
            credit += c
            matching = item.get("matching_numbers") or ()
            foreign = item.get("currency") not in (None, "", currency)
            lines.append(
                (
                    code,
                    name,
                    number,
                    day,
                    _text(item.get("account_number")),
                    _text(item.get("account_name")),
                    _text(item.get("partner_id")),
                    _text(item.get("partner_name")),
                    _text(_MARKER.sub("", str(entry.get("reference") or "")) or number),
                    day,
                    _text(item.get("description") or entry.get("name") or number),
                    _money(d, point),
                    _money(c, point),
                    _text(matching[0]) if matching else "",
                    "",
                    # Chift gives no validation date: a posted entry is taken as validated on
                    # its own date; an unposted one has none (it is not yet in the books).
                    day if entry.get("posted") is not False else "",
                    _money(d - c, point) if foreign else "",
                    _text(item.get("currency")) if foreign else "",
                )
            )
        if debit != credit:
            problems.append(f"{where}: debits {debit} and credits {credit} do not balance")
            continue
        out.extend(lines)
    if problems:
        raise FECError("; ".join(problems))
    return out


def text(lines: Iterable[Sequence[str]], separator: Separator = "tab") -> str:
    """The file's content: the header row of the 18 columns, then the rows, CRLF-free."""
    sep = SEPARATORS[separator]
    return "".join(sep.join(row) + "\n" for row in (COLUMNS, *lines))
