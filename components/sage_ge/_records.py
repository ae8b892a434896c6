"""What Chift answers for each Sage GE record: the fields a flow or a lookup relies on typed,
everything else kept as Chift sent it (``extra="allow"``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Record(BaseModel):
    model_config = ConfigDict(extra="allow")


class Folder(_Record):
    id: str = Field(description="The dossier's id (folder_id).")
    name: str = Field(description="The dossier's name.")
    company_number: str | None = Field(default=None, description="SIREN or SIRET.")


class Account(_Record):
    number: str = Field(description="The general account number (numéro de compte).")
    name: str = Field(description="The account's label (intitulé).")


class Journal(_Record):
    id: str = Field(description="Chift's id of the journal.")
    code: str | None = Field(default=None, description="The journal code (VE, AC, BQ, OD...).")
    name: str = Field(description="The journal's name.")
    journal_type: str = Field(description="customer_invoice, financial_operation...")
    blocked: bool | None = Field(default=None, description="Blocked (closed) for new entries.")


class VatCode(_Record):
    id: str = Field(description="The VAT code's id (code TVA).")
    label: str = Field(description="The VAT code's label.")
    code: str | None = Field(default=None, description="The code Sage GE shows.")


class Party(_Record):
    id: str | None = Field(default=None, description="Chift's id of the client or supplier.")
    name: str | None = Field(default=None, description="The client's or supplier's name.")
    account_number: str | None = Field(
        default=None, description="The auxiliary account (compte auxiliaire)."
    )


class BookYear(_Record):
    name: str = Field(description="The fiscal year's name (exercice).")
    start: str = Field(description="First day (YYYY-MM-DD).")
    end: str = Field(description="Last day (YYYY-MM-DD).")
    closed: bool = Field(description="Closed (clôturé): takes no entry.")


class Named(_Record):
    id: str = Field(description="The record's id.")
    name: str | None = Field(default=None, description="The record's name.")


class Entry(_Record):
    id: str = Field(description="Chift's id of the journal entry (écriture).")
    journal_id: str = Field(description="The journal's id.")
    name: str | None = Field(default=None, description="The entry's number as Sage GE shows it.")
    date: str | None = Field(default=None, description="The posting date.")
    reference: str | None = Field(default=None, description="The entry's reference.")


class Invoice(_Record):
    id: str | None = Field(default=None, description="Chift's id of the invoice.")
    invoice_number: str | None = Field(default=None, description="The invoice number.")
    invoice_type: str = Field(description="customer_invoice, supplier_refund...")


class Operation(_Record):
    id: str = Field(description="Chift's id of the operation.")
    operation_number: str | None = Field(default=None, description="The operation's number.")
    journal_id: str = Field(description="The journal's id.")


class Record(_Record):
    """A record Chift describes loosely: kept as sent."""
