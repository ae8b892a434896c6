"""The seeded Sage GE connection: two dossiers, their fiscal years, PCG accounts, journals, VAT
codes, clients and suppliers, in Chift's unified shapes (``FolderItem``, ``BookYear``,
``AccountItem``, ``Journal``, ``AccountingVatCode``, ``ClientItemOut``/``SupplierItemOut``)."""

from __future__ import annotations

from datetime import date
from typing import Any

Record = dict[str, Any]

#: The consumer (the end customer's connection) the sandbox serves; any other is refused.
CONSUMER_ID = "5f0c7a3e-2b1d-4c6e-9a8f-0d1e2f3a4b5c"
#: The Chift account the dev credentials belong to.
ACCOUNT_ID = "0f3e4c2a-5b6d-4e7f-8a9b-0c1d2e3f4a5b"

#: Sage GE holds several dossiers per connection (Chift's GE page: "multi-folder").
FOLDERS: tuple[Record, ...] = (
    {
        "id": "DOSSIER01",
        "name": "Boulangerie Martin SARL",
        "selected": True,
        "active": True,
        "vat": "FR40303265045",
        "company_number": "303265045",
        "main_currency": "EUR",
    },
    {
        "id": "DOSSIER02",
        "name": "Cabinet Dupuis SAS",
        "selected": False,
        "active": True,
        "vat": "FR83404833048",
        "company_number": "404833048",
        "main_currency": "EUR",
    },
)

#: Collective accounts (comptes collectifs) the auxiliary accounts hang from.
CLIENT_COLLECTIVE = "411000"
SUPPLIER_COLLECTIVE = "401000"
#: Staff (salariés) hang from 421 (PCG: "Personnel - rémunérations dues").
EMPLOYEE_COLLECTIVE = "421000"

#: A short PCG (plan comptable général): number, label, Chift's AccountItemType.
ACCOUNTS: tuple[tuple[str, str, str], ...] = (
    ("101000", "Capital", "other"),
    ("401000", "Fournisseurs", "payable"),
    ("411000", "Clients", "receivable"),
    ("421000", "Personnel - rémunérations dues", "other"),
    ("445660", "TVA déductible sur autres biens et services", "vat"),
    ("445710", "TVA collectée", "vat"),
    ("512000", "Banque", "bank"),
    ("530000", "Caisse", "cash"),
    ("601000", "Achats de matières premières", "expense"),
    ("606100", "Fournitures non stockables (eau, énergie)", "expense"),
    ("626000", "Frais postaux et de télécommunications", "expense"),
    ("627000", "Services bancaires et assimilés", "expense"),
    ("701000", "Ventes de produits finis", "income"),
    ("706000", "Prestations de services", "income"),
    ("707000", "Ventes de marchandises", "income"),
)

#: Journals: id, code, name, Chift's JournalType, blocked (a closed journal takes no entry).
JOURNALS: tuple[tuple[str, str, str, str, bool], ...] = (
    ("1", "VE", "Ventes", "customer_invoice", False),
    ("2", "AC", "Achats", "supplier_invoice", False),
    ("3", "BQ", "Banque", "financial_operation", False),
    ("4", "OD", "Opérations diverses", "miscellaneous_operation", False),
    ("5", "BQ2", "Ancienne banque (clôturé)", "financial_operation", True),
)

#: French VAT rates (CGI art. 278 to 281 nonies): id, rate, label, type.
VAT_CODES: tuple[tuple[str, str, str, str], ...] = (
    ("20", "20", "TVA 20 % (taux normal)", "both"),
    ("10", "10", "TVA 10 % (taux intermédiaire)", "both"),
    ("5.5", "5.5", "TVA 5,5 % (taux réduit)", "both"),
    ("2.1", "2.1", "TVA 2,1 % (taux particulier)", "both"),
    ("0", "0", "Exonéré de TVA", "both"),
)

#: Clients and suppliers of each dossier: auxiliary account, name, VAT number.
CLIENTS: dict[str, tuple[tuple[str, str, str | None], ...]] = {
    "DOSSIER01": (
        ("CDUPONT", "Dupont SARL", "FR40303265045"),
        ("CLEROY", "Leroy Traiteur", None),
        ("CMOREAU", "Moreau et Fils", "FR12345678901"),
    ),
    "DOSSIER02": (("CBERNARD", "Bernard Conseil", None),),
}
SUPPLIERS: dict[str, tuple[tuple[str, str, str | None], ...]] = {
    "DOSSIER01": (
        ("FORANGE", "Orange SA", "FR89380129866"),
        ("FMINOT", "Minoterie du Centre", None),
    ),
    "DOSSIER02": (("FEDF", "EDF", "FR03552081317"),),
}


def fiscal_years(today: date, open_years: int) -> list[Record]:
    """Calendar fiscal years around ``today``: the current one and the one before open, the
    one before that closed (``open_years=3`` leaves it open, a dossier Sage GE would refuse
    entries in for its oldest year)."""
    years = []
    for year in (today.year - 2, today.year - 1, today.year):
        closed = year == today.year - 2 and open_years < 3
        years.append(
            {
                "id": str(year),
                "name": str(year),
                "start": date(year, 1, 1).isoformat(),
                "end": date(year, 12, 31).isoformat(),
                "closed": closed,
            }
        )
    return years


def accounts() -> list[Record]:
    return [
        {"id": number, "number": number, "name": name, "active": True, "type": kind}
        for number, name, kind in ACCOUNTS
    ]


def journals() -> list[Record]:
    return [
        {
            "id": ident,
            "code": code,
            "name": name,
            "journal_type": kind,
            "blocked": blocked,
            "currency": "EUR",
            "counterpart_account": "512000" if kind == "financial_operation" else None,
        }
        for ident, code, name, kind, blocked in JOURNALS
    ]


def vat_codes() -> list[Record]:
    return [
        {
            "id": ident,
            "code": ident,
            "label": label,
            "rate": float(rate),
            "type": kind,
            "scope": "nat",
            "active": True,
            "deductible_account": "445660",
            "payable_account": "445710",
            "country": "FR",
        }
        for ident, rate, label, kind in VAT_CODES
    ]


def party(code: str, name: str, vat: str | None, collective: str, stamp: str) -> Record:
    """A client or supplier: its id is its auxiliary account, hung from a collective."""
    return {
        "id": code,
        "name": name,
        "is_company": True,
        "vat": vat,
        "currency": "EUR",
        "active": True,
        "account_number": code,
        "third_party_account": collective,
        "addresses": [],
        "last_updated_on": stamp,
    }


#: Analytic plans (axes) and their accounts (sections): plan id, plan name, accounts.
ANALYTIC: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("1", "Sites", (("PARIS", "Paris"), ("LYON", "Lyon"))),
    ("2", "Activités", (("BOUL", "Boulangerie"), ("TRAIT", "Traiteur"))),
)


def analytic_plans() -> list[Record]:
    return [{"id": ident, "name": name, "active": True} for ident, name, _ in ANALYTIC]


def analytic_accounts() -> list[Record]:
    """Keyed ``<plan>:<code>`` (a code is unique within its plan only)."""
    return [
        {
            "id": f"{plan}:{code}",
            "code": code,
            "name": name,
            "active": True,
            "currency": "EUR",
            "analytic_plan": plan,
        }
        for plan, _, accounts in ANALYTIC
        for code, name in accounts
    ]


#: Employees of each dossier (``EmployeeItem``): auxiliary account, first name, last name, job.
EMPLOYEES: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "DOSSIER01": (
        ("EMARTIN", "Emma", "Martin", "Boulangère"),
        ("SDURAND", "Samuel", "Durand", "Vendeur"),
    ),
    "DOSSIER02": (("LPETIT", "Léa", "Petit", "Assistante"),),
}


def employee(code: str, first: str, last: str, job: str) -> Record:
    """An employee: its id is its auxiliary account, hung from 421000."""
    return {
        "id": code,
        "name": f"{last} {first}",
        "first_name": first,
        "last_name": last,
        "function": job,
        "active": True,
        "account_number": code,
        "third_party_account": EMPLOYEE_COLLECTIVE,
    }
