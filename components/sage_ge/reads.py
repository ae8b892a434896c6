"""List and get components for every Chift read of Sage GE, from one table: they differ only in
path, record model, filters and whether Chift serves them live or on request, so a new read is
one row (the dlt rest_api habit)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, cast
from urllib.parse import quote

from pydantic import BaseModel, Field, create_model

from sage_ge import _lookups, _records
from sage_ge._pack import PACK
from sage_ge._paging import ListInputs, ListOutput, list_action
from sageflow._component import READ_ONLY, Action, Availability, Inputs
from sageflow._errors import FieldProblem, InputValidationError
from sageflow._options import closed_set
from sageflow._types import Date, Timestamp
from sageflow._values import HTTPRequest

InvoiceType = closed_set(
    {
        "customer_invoice": "Sales invoice",
        "customer_refund": "Sales credit note",
        "supplier_invoice": "Purchase invoice",
        "supplier_refund": "Purchase credit note",
    }
)
PaymentStatus = closed_set({"all": "All", "unpaid": "Unpaid", "paid": "Paid"})
AccountType = closed_set(
    {
        "bank": "Bank",
        "cash": "Cash",
        "income": "Income",
        "expense": "Expense",
        "other_expense": "Other expense",
        "vat": "VAT",
    }
)
PartnerType = closed_set({"client": "Clients", "supplier": "Suppliers"})
DocumentType = closed_set({"invoice": "Invoice", "entry": "Journal entry"})
JournalIds = list[Annotated[str, Field(min_length=1, json_schema_extra=_lookups.JOURNALS)]]


#: A record id that goes in a path: Chift's ids are codes and numbers; nothing that could
#: climb or leave the route (a slash, a leading dot, a percent sign) is one.
ID_PATTERN = r"^[0-9A-Za-z_:-][0-9A-Za-z_:.-]*$"


def segment(value: str) -> str:
    """An id as one path segment: nothing in it can reach another route."""
    return quote(value, safe="")


@dataclass(frozen=True)
class Param:
    """An input of a read and where Chift takes it: the query, or a ``{name}`` of the path."""

    name: str
    wire: str
    type: Any
    description: str
    example: Any
    required: bool = False
    where: Literal["query", "path"] = "query"
    extra: Any = None


def _date_params() -> tuple[Param, ...]:
    return (
        Param("dateFrom", "date_from", Date, "From this date (inclusive).", "2026-01-01"),
        Param("dateTo", "date_to", Date, "Up to this date (inclusive).", "2026-12-31"),
    )


_UPDATED = Param(
    "updatedAfter", "updated_after", Timestamp, "Only records changed after this time.",
    "2026-03-01T00:00:00Z",
)  # fmt: skip
_INVOICE_TYPE = Param(
    "invoiceType", "invoice_type", InvoiceType, "Which invoices: sales or purchase, invoice or "
    "credit note.", "customer_invoice", required=True, where="path",
)  # fmt: skip
_INVOICE_FILTERS = (
    *_date_params(),
    Param("journalIds", "journal_ids", JournalIds, "Only these journals' invoices.", ["1"]),
    Param("paymentStatus", "payment_status", PaymentStatus, "all, unpaid or paid.", "unpaid"),
    _UPDATED,
    Param("includeInvoiceLines", "include_invoice_lines", bool, "Include the lines.", True),
    Param("includePayments", "include_payments", bool, "Include the payments.", False),
    Param("includePartnerInfo", "include_partner_info", bool, "Include the party.", False),
)
_ENTRY_FILTERS = (
    Param("unpostedAllowed", "unposted_allowed", bool, "Include unposted (brouillard) entries.",
          False),
    Param("journalId", "journal_id", str, "Only this journal's entries.", "3",
          extra=_lookups.JOURNALS),
    *_date_params(),
    _UPDATED,
    Param("clientId", "partner_id", str, "Only this client's entries.", "CDUPONT",
          extra=_lookups.CLIENTS),
    Param("supplierId", "partner_id", str, "Only this supplier's entries.", "FORANGE",
          extra=_lookups.SUPPLIERS),
)  # fmt: skip


@dataclass(frozen=True)
class Read:
    """One Chift read: a paged listing, a bare list, or one record."""

    key: str
    title: str
    path: str
    record: type[BaseModel]
    example: dict[str, Any]
    what: str
    availability: Availability
    kind: Literal["page", "list", "one"] = "page"
    params: tuple[Param, ...] = ()
    example_input: dict[str, Any] = field(default_factory=dict)


_FOLDER = {"id": "DOSSIER01", "name": "Boulangerie Martin SARL", "company_number": "552100554"}
_ENTRY = {
    "id": "E-2026-0042",
    "journal_id": "1",
    "journal_name": "Ventes",
    "name": "VE0042",
    "date": "2026-03-10",
    "reference": "Facture 12 #QKZTA#",
    "posted": True,
    "items": [
        {
            "id": "1",
            "account_number": "411000",
            "account_name": "Clients",
            "partner_id": "CDUPONT",
            "partner_name": "Dupont SARL",
            "description": "Facture 12",
            "debit": 120.0,
            "credit": 0.0,
            "currency": "EUR",
        },
        {
            "id": "2",
            "account_number": "706000",
            "account_name": "Prestations de services",
            "description": "Facture 12",
            "debit": 0.0,
            "credit": 100.0,
            "currency": "EUR",
        },
        {
            "id": "3",
            "account_number": "445710",
            "account_name": "TVA collectée",
            "description": "Facture 12",
            "debit": 0.0,
            "credit": 20.0,
            "currency": "EUR",
        },
    ],
}
_INVOICE = {
    "id": "INV-12",
    "invoice_number": "F2026-012",
    "invoice_type": "customer_invoice",
    "currency": "EUR",
    "untaxed_amount": 100.0,
    "tax_amount": 20.0,
    "total": 120.0,
    "invoice_date": "2026-03-10",
    "due_date": "2026-04-09",
    "partner_id": "CDUPONT",
    "lines": [],
}
_CLIENT = {
    "id": "CDUPONT",
    "name": "Dupont SARL",
    "account_number": "CDUPONT",
    "is_company": True,
    "vat": "FR40303265045",
}
_SUPPLIER = {"id": "FORANGE", "name": "Orange SA", "account_number": "FORANGE", "is_company": True}

READS = (
    Read("listFolders", "List Folders", "/folders", _records.Folder, _FOLDER,
         "dossiers (folders) of the Sage GE connection", "live", kind="list"),
    Read("getFolder", "Get Folder", "/folders/{folder_id}", _records.Folder, _FOLDER,
         "one dossier", "live", kind="one",
         params=(Param("folderId", "folder_id", str, "The dossier's id.", "DOSSIER01",
                       required=True, where="path", extra=_lookups.FOLDERS),)),
    Read("listBookYears", "List Book Years", "/bookyears", _records.BookYear,
         {"name": "2026", "start": "2026-01-01", "end": "2026-12-31", "closed": False},
         "fiscal years (exercices), open and closed", "on_request"),
    Read("listChartOfAccounts", "List Chart Of Accounts", "/chart-of-accounts", _records.Account,
         {"number": "411000", "name": "Clients", "active": True, "type": "receivable"},
         "general accounts of the chart of accounts (plan comptable)", "live",
         params=(Param("classes", "classes", str, "Account classes, comma-separated (4,6).", "4"),
                 Param("type", "type", AccountType, "Only accounts of this kind.", "bank"))),
    Read("listJournals", "List Journals", "/journals", _records.Journal,
         {"id": "1", "code": "VE", "name": "Ventes", "journal_type": "customer_invoice",
          "blocked": False},
         "journals (VE sales, AC purchases, BQ bank, OD miscellaneous)", "live"),
    Read("listVatCodes", "List Vat Codes", "/vat-codes", _records.VatCode,
         {"id": "20", "code": "20", "label": "TVA 20 %", "rate": 20.0, "type": "sale",
          "scope": "nat"},
         "VAT codes (codes TVA)", "live"),
    Read("listClients", "List Clients", "/clients", _records.Party, _CLIENT,
         "clients (customers) with their auxiliary accounts", "live",
         params=(Param("search", "search", str, "Text a client's name contains.", "Dupont"),
                 _UPDATED)),
    Read("getClient", "Get Client", "/clients/{client_id}", _records.Party, _CLIENT,
         "one client", "live", kind="one",
         params=(Param("clientId", "client_id", str, "The client's id.", "CDUPONT",
                       required=True, where="path", extra=_lookups.CLIENTS),)),
    Read("listSuppliers", "List Suppliers", "/suppliers", _records.Party, _SUPPLIER,
         "suppliers with their auxiliary accounts", "live",
         params=(Param("search", "search", str, "Text a supplier's name contains.", "Orange"),
                 _UPDATED)),
    Read("getSupplier", "Get Supplier", "/suppliers/{supplier_id}", _records.Party, _SUPPLIER,
         "one supplier", "live", kind="one",
         params=(Param("supplierId", "supplier_id", str, "The supplier's id.", "FORANGE",
                       required=True, where="path", extra=_lookups.SUPPLIERS),)),
    Read("listInvoices", "List Invoices", "/invoices/type/{invoice_type}", _records.Invoice,
         _INVOICE, "invoices or credit notes of one type", "live",
         params=(_INVOICE_TYPE, *_INVOICE_FILTERS),
         example_input={"invoiceType": "customer_invoice", "dateFrom": "2026-03-01",
                        "dateTo": "2026-03-31", "fetchAll": True}),
    Read("listInvoicesMultiAnalyticPlans", "List Invoices (Multiple Analytic Plans)",
         "/invoices/multi-analytic-plans/type/{invoice_type}", _records.Invoice, _INVOICE,
         "invoices of one type with their analytic distribution over several plans",
         "on_request", params=(_INVOICE_TYPE, *_INVOICE_FILTERS),
         example_input={"invoiceType": "supplier_invoice"}),
    Read("getInvoice", "Get Invoice", "/invoices/{invoice_id}", _records.Invoice, _INVOICE,
         "one invoice", "live", kind="one",
         params=(Param("invoiceId", "invoice_id", str, "The invoice's id.", "INV-12",
                       required=True, where="path", extra=_lookups.INVOICES),
                 Param("includeInvoiceLines", "include_invoice_lines", bool, "Include the lines.",
                       True))),
    Read("getInvoiceMultiAnalyticPlans", "Get Invoice (Multiple Analytic Plans)",
         "/invoices/multi-analytic-plans/{invoice_id}", _records.Invoice, _INVOICE,
         "one invoice with its analytic distribution over several plans", "on_request",
         kind="one",
         params=(Param("invoiceId", "invoice_id", str, "The invoice's id.", "INV-12",
                       required=True, where="path", extra=_lookups.INVOICES),)),
    Read("listInvoicePayments", "List Invoice Payments", "/invoices/id/{invoice_id}/payments",
         _records.Named,
         {"id": "P-7", "name": "Règlement F2026-012", "currency": "EUR", "amount": 120.0,
          "payment_date": "2026-04-02", "journal_type": "financial_operation",
          "journal_id": "3", "journal_name": "Banque"},
         "payments of one invoice (règlements)", "on_request",
         params=(Param("invoiceId", "invoice_id", str, "The invoice's id.", "INV-12",
                       required=True, where="path", extra=_lookups.INVOICES),)),
    Read("listJournalEntries", "List Journal Entries", "/journal/entries", _records.Entry, _ENTRY,
         "journal entries (écritures)", "live", params=_ENTRY_FILTERS,
         example_input={"journalId": "1", "dateFrom": "2026-03-01", "dateTo": "2026-03-31",
                        "fetchAll": True}),
    Read("listJournalEntriesMultiAnalyticPlans", "List Journal Entries (Multiple Analytic Plans)",
         "/journal/entries/multi-analytic-plans", _records.Entry, _ENTRY,
         "journal entries with their analytic distribution over several plans", "live",
         params=_ENTRY_FILTERS, example_input={"dateFrom": "2026-03-01"}),
    Read("getJournalEntry", "Get Journal Entry", "/journal/entries/{journal_entry_id}",
         _records.Entry, _ENTRY, "one journal entry", "on_request", kind="one",
         params=(Param("journalEntryId", "journal_entry_id", str, "The entry's id.",
                       "E-2026-0042", required=True, where="path",
                       extra=_lookups.JOURNAL_ENTRIES),)),
    Read("listAnalyticPlans", "List Analytic Plans", "/analytic-plans", _records.Named,
         {"id": "1", "name": "Sites", "active": True}, "analytic plans (axes analytiques)",
         "live"),
    Read("listAnalyticAccounts", "List Analytic Accounts", "/analytic-accounts", _records.Named,
         {"id": "PARIS", "code": "PARIS", "name": "Paris", "active": True, "currency": "EUR"},
         "analytic accounts (sections analytiques) of the default plan", "live"),
    Read("getAnalyticAccount", "Get Analytic Account", "/analytic-accounts/{analytic_account_id}",
         _records.Named,
         {"id": "PARIS", "code": "PARIS", "name": "Paris", "active": True, "currency": "EUR"},
         "one analytic account", "on_request", kind="one",
         params=(Param("analyticAccountId", "analytic_account_id", str, "The account's id.",
                       "PARIS", required=True, where="path", extra=_lookups.ANALYTIC_ACCOUNTS),)),
    Read("listAnalyticAccountsMultiAnalyticPlans", "List Analytic Accounts (All Plans)",
         "/analytic-accounts/multi-analytic-plans", _records.Named,
         {"id": "PARIS", "name": "Paris", "active": True, "analytic_plan": "1"},
         "analytic accounts of every analytic plan", "live"),
    Read("listMiscellaneousOperations", "List Miscellaneous Operations",
         "/miscellaneous-operation", _records.Operation,
         {"id": "OD-1", "operation_number": "OD0001", "currency": "EUR", "lines": [],
          "journal_id": "4", "status": "posted"},
         "miscellaneous operations (opérations diverses)", "on_request",
         params=(*_date_params(),
                 Param("journalIds", "journal_ids", JournalIds, "Only these journals.", ["4"]))),
    Read("getMiscellaneousOperation", "Get Miscellaneous Operation",
         "/miscellaneous-operation/{operation_id}", _records.Operation,
         {"id": "OD-1", "operation_number": "OD0001", "currency": "EUR", "lines": [],
          "journal_id": "4", "status": "posted"},
         "one miscellaneous operation", "on_request", kind="one",
         params=(Param("operationId", "operation_id", str, "The operation's id.", "OD-1",
                       required=True, where="path", extra=_lookups.OPERATIONS),)),
    Read("listPaymentMethods", "List Payment Methods", "/payment-methods", _records.Named,
         {"id": "VIR", "name": "Virement"},
         "payment methods (modes de règlement) an invoice payment names", "on_request"),
    Read("listPaymentTerms", "List Payment Terms", "/payment-terms", _records.Named,
         {"id": "30FM", "name": "30 jours fin de mois"},
         "payment terms (conditions de règlement) an invoice can name", "on_request"),
    Read("listAttachments", "List Attachments", "/attachments", _records.Named,
         {"id": "A-1", "base64_string": "JVBERi0xLjQK"},
         "attachments (pièces jointes) of one invoice or entry, as base 64", "on_request",
         params=(Param("type", "type", DocumentType, "invoice or entry.", "invoice",
                       required=True),
                 Param("documentId", "document_id", str, "The invoice's or entry's id.",
                       "INV-12", required=True)),
         example_input={"type": "invoice", "documentId": "INV-12"}),
    Read("listEmployees", "List Employees", "/employees", _records.Named,
         {"id": "EMARTIN", "name": "Martin Emma", "account_number": "421000"},
         "employees (salariés) with their accounts", "on_request"),
    Read("listOutstandings", "List Outstandings", "/outstandings", _records.Named,
         {"id": "O-9", "journal_id": "1", "journal_type": "customer_invoice",
          "date": "2026-03-10", "currency": "EUR", "currency_exchange_rate": 1.0,
          "amount": 120.0, "open_amount": 120.0, "partner_id": "CDUPONT",
          "account_number": "411000", "posted": True},
         "open items (encours) of clients or suppliers", "on_request",
         params=(Param("type", "type", PartnerType, "client or supplier.", "client",
                       required=True),
                 Param("unpostedAllowed", "unposted_allowed", bool, "Include unposted items.",
                       False)),
         example_input={"type": "client"}),
)  # fmt: skip


class WholeListInputs(Inputs):
    """A listing Chift answers whole (a bare array, no pages)."""

    fetchAll: bool = Field(
        default=True,
        description="Chift answers this list whole: every record, whatever this says.",
        examples=[True],
    )


def _inputs(read: Read) -> type[Inputs]:
    fields: dict[str, Any] = {}
    for param in read.params:
        extra = {"json_schema_extra": param.extra} if param.extra is not None else {}
        kind = param.type
        if param.type is str:
            kind = str
            extra["min_length"] = 1
            if param.where == "path":
                extra["pattern"] = ID_PATTERN
        default = ... if param.required else (False if param.type is bool else None)
        annotation = kind if param.required or param.type is bool else kind | None
        fields[param.name] = (
            annotation,
            Field(default, description=param.description, examples=[param.example], **extra),
        )
    bases: dict[str, type[Inputs]] = {"page": ListInputs, "list": WholeListInputs}
    base = bases.get(read.kind, Inputs)
    name = read.key[0].upper() + read.key[1:] + "Inputs"
    return cast(type[Inputs], create_model(name, __base__=base, __module__=__name__, **fields))


def _request(read: Read, inputs: Inputs) -> tuple[str, dict[str, Any]]:
    path = read.path
    query: dict[str, Any] = {}
    for param in read.params:
        value = getattr(inputs, param.name)
        if param.where == "path":
            path = path.replace("{" + param.wire + "}", segment(str(value)))
        elif value is not None and (param.type is not bool or param.required or value):
            if param.wire in query:
                raise InputValidationError(
                    f"sage_ge/{read.key}",
                    [
                        FieldProblem(
                            f"$.{param.name}", f"give one of the inputs sent as {param.wire}"
                        )
                    ],
                )
            if isinstance(value, list):
                value = ",".join(value)
            query[param.wire] = value.isoformat() if hasattr(value, "isoformat") else value
    if read.key.startswith("listJournalEntries") or read.key == "listOutstandings":
        # Chift requires unposted_allowed on these listings (required: true in the OpenAPI's
        # GET /journal/entries and GET /outstandings), false included.
        query["unposted_allowed"] = bool(getattr(inputs, "unpostedAllowed", False))
    return path, query


def _handler(read: Read) -> Callable[[Inputs], Action]:
    def handler(inputs: Inputs) -> Action:
        path, query = _request(read, inputs)
        if read.kind == "page":
            assert isinstance(inputs, ListInputs)
            return (yield from list_action(path, inputs, query))
        response = yield HTTPRequest("GET", path, query=query)
        body = response.json()
        if read.kind == "list":
            if not isinstance(body, list):
                raise ValueError(f"{path} did not answer a list")
            return {"items": body, "total": len(body), "page": 1, "size": len(body),
                    "pagesFetched": 1, "mayHaveMore": False}  # fmt: skip
        if not isinstance(body, dict):
            raise ValueError(f"{path} did not answer a record")
        return body

    return handler


def _example_input(read: Read) -> dict[str, Any]:
    if read.example_input:
        return dict(read.example_input)
    return {p.name: p.example for p in read.params if p.required}


def _example_output(read: Read) -> dict[str, Any]:
    if read.kind == "one":
        return read.example
    size = 1 if read.kind == "list" else 100
    return {"items": [read.example], "total": 1, "page": 1, "size": size, "pagesFetched": 1,
            "mayHaveMore": False}  # fmt: skip


for _read in READS:
    _where = f"GET {_read.path}"
    PACK.component(
        key=_read.key,
        title=_read.title,
        description=(
            f"{'List' if _read.kind != 'one' else 'Fetch'} {_read.what} ({_where} through "
            f"Chift; {'live' if _read.availability == 'live' else 'on request at Chift'})."
        ),
        inputs=_inputs(_read),
        output=_read.record if _read.kind == "one" else ListOutput[_read.record],  # type: ignore[name-defined]
        annotations=READ_ONLY,
        example_input=_example_input(_read),
        example_output=_example_output(_read),
        availability=_read.availability,
    )(_handler(_read))
