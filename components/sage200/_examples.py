"""Example records shared by several modules' component examples (ids as the sandbox seeds them)."""

from __future__ import annotations

from typing import Any

CUSTOMER: dict[str, Any] = {
    "id": 27825,
    "reference": "ABB001",
    "name": "Abbey Retail Ltd",
    "short_name": "ABBEY",
    "balance": 1320.5,
    "credit_limit": 5000.0,
    "on_hold": False,
    "currency_id": 2103,
    "vat_number": "GB123456789",
    "default_tax_code_id": 1729,
    "date_time_created": "2026-01-12T09:30:00Z",
    "date_time_updated": "2026-03-02T14:05:00Z",
}
SUPPLIER = {
    **CUSTOMER,
    "id": 31102,
    "reference": "PAP001",
    "name": "Paper Mills plc",
    "short_name": "PAPER",
    "balance": 240.0,
}
POSTED = {
    "id": 90211,
    "urn": 4217,
    "trader_transaction_type": "TradingAccountEntryTypeInvoice",
    "customer_id": 27825,
    "reference": "INV-1001",
    "second_reference": "PO 7781",
    "transaction_date": "2026-03-31T00:00:00Z",
    "due_date": "2026-04-30T00:00:00Z",
    "document_goods_value": 1000.0,
    "document_tax_value": 200.0,
    "document_gross_value": 1200.0,
    "document_outstanding_value": 1200.0,
    "tax_analysis_items": [{"id": 1729, "code": 1, "goods_amount": 1000.0, "tax_amount": 200.0}],
    "nominal_analysis_items": [
        {"code": "4000", "cost_centre": "", "department": "", "narrative": "Consulting",
         "value": 1000.0}
    ],
    "date_time_updated": "2026-03-31T10:12:00Z",
}  # fmt: skip
PURCHASE_POSTED = {
    **{k: v for k, v in POSTED.items() if k != "customer_id"},
    "id": 90544,
    "urn": 4305,
    "supplier_id": 31102,
    "reference": "PM-55120",
}
