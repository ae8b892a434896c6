"""Attachments: files on records, stored with their metadata; and the context types they name.

Sources: postAttachments / putAttachments (``file`` base64, ``file_name`` and ``mime_type``
required; ``file_size`` at most 2621440) and ``GET /attachments/{key}/file``
(swagger.attachments.json [S2]); the example attachment
(attachments__get_one__sage-swagger-2025-example.json: a hyphenated UUID id, ``displayed_as`` its
description, ``$file_path``, ``file_extension`` with its dot) and the 13 context types of the
/attachment_context_types example [S2]; Sage's Attachments guide (attachments belong to
transactions: "attachment_context_id returns the transaction_id value"). The size and type rule
is the pack's own (``sage_accounting.attachments.file_problem``), so both refuse the same files.

Inferred: an attachment names what it is on (a context, or a transaction) and that record must
exist; a ``file_size`` sent must be the file's size; Sage's error texts for these are unknown.
The strict choice is taken for the type: only the types Sage documents (and its example shows)
are taken, see docs/sandbox-fidelity.md.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Mapping
from pathlib import PurePath
from typing import Any

from sage_accounting.attachments import file_problem
from sage_accounting.sandbox import _resources as res
from sage_accounting.sandbox._registry import READ, Resource, register
from sage_accounting.sandbox._resources import Business, invalid, link, text
from sage_accounting.sandbox._store import Record

Data = Mapping[str, Any]

#: /attachment_context_types [S2] -> the collection its records live in (None: no record, the
#: business itself). The corrective invoices are Spanish and not simulated.
CONTEXTS: dict[str, tuple[str, str | None]] = {
    "BANK_TRANSFER": ("Bank Transfer", "bank_transfers"),
    "CONTACT": ("Contact", "contacts"),
    "JOURNAL": ("Journal", "journals"),
    "OTHER_PAYMENT": ("Other Payment", "other_payments"),
    "PURCHASE_CORRECTIVE_INVOICE": ("Purchase Corrective Invoice", "purchase_corrective_invoices"),
    "PURCHASE_CREDIT_NOTE": ("Purchase Credit Note", "purchase_credit_notes"),
    "PURCHASE_INVOICE": ("Purchase Invoice", "purchase_invoices"),
    "SALES_CORRECTIVE_INVOICE": ("Sales Corrective Invoice", "sales_corrective_invoices"),
    "SALES_CREDIT_NOTE": ("Sales Credit Note", "sales_credit_notes"),
    "SALES_ESTIMATE": ("Sales Estimate", "sales_estimates"),
    "SALES_INVOICE": ("Sales Invoice", "sales_invoices"),
    "SALES_QUOTE": ("Sales Quote", "sales_quotes"),
    "BUSINESS": ("Business", None),
}


def _context_types() -> Iterable[Record]:
    for key, (label, _collection) in CONTEXTS.items():
        path = f"/attachment_context_types/{key}"
        yield {"id": key, "displayed_as": label, "$path": path}


def _uuid(biz: Business) -> str:
    # Sage's attachment ids are hyphenated UUIDs (the recorded example), unlike its 32-hex ids.
    h = biz.new_id()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _content(data: Data) -> bytes:
    raw = data.get("file")
    if not isinstance(raw, str) or not raw:
        raise invalid(("file", "can't be blank"))
    try:
        return base64.b64decode(raw.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise invalid(("file", "is not base64")) from None


def _transaction_exists(biz: Business, key: str) -> dict[str, Any] | None:
    """The transaction stub of that id, from the postings every artefact makes (``entries``:
    invoices, credit notes, payments, journals...), or None."""
    for posting in res.entries(biz):
        if posting.transaction is not None and posting.transaction.get("id") == key:
            return dict(posting.transaction)
    return None


def _owner(biz: Business, data: Data) -> tuple[Record | None, Record | None, Record | None]:
    """(context type, context record, transaction) the attachment goes on, or 422."""
    type_id = data.get("attachment_context_type_id")
    context_id = data.get("attachment_context_id")
    transaction_id = data.get("transaction_id")
    problems: list[tuple[str, str]] = []
    context_type: Record | None = None
    context: Record | None = None
    transaction: Record | None = None
    if type_id is not None or context_id is not None:
        context_type = biz.collection("attachment_context_types").get(str(type_id))
        collection = CONTEXTS[context_type["id"]][1] if context_type is not None else None
        if context_type is None:
            problems.append(("attachment_context_type_id", "is invalid"))
        elif collection is None:
            # BUSINESS: the attachment is on the business itself, named by its id or by none.
            if context_id not in (None, "", biz.id):
                problems.append(("attachment_context_id", "is invalid"))
        else:
            context = biz.collection(collection).get(str(context_id))
            if context is None:
                problems.append(("attachment_context_id", "is invalid"))
    if transaction_id is not None:
        transaction = _transaction_exists(biz, str(transaction_id))
        if transaction is None:
            problems.append(("transaction_id", "is invalid"))
    if context_type is None and transaction is None and not problems:
        problems.append(("attachment_context_id", "can't be blank (or give transaction_id)"))
    if problems:
        raise invalid(*problems)
    return context_type, context, transaction


def create_attachment(biz: Business, data: Data) -> Record:
    content = _content(data)
    name = text(data.get("file_name"))
    mime = text(data.get("mime_type"))
    problems: list[tuple[str, str]] = []
    if not name:
        problems.append(("file_name", "can't be blank"))
    if not mime:
        problems.append(("mime_type", "can't be blank"))
    size = data.get("file_size")
    if size is not None and size != len(content):
        problems.append(("file_size", f"is not the file's size ({len(content)} bytes)"))
    if name and mime:
        problem = file_problem(content, name, mime)
        if problem:
            problems.append(("file", problem))
    extension = data.get("file_extension")
    if extension is not None and str(extension).lower() != PurePath(name).suffix.lower():
        problems.append(("file_extension", "does not match file_name"))
    if problems:
        raise invalid(*problems)
    context_type, context, transaction = _owner(biz, data)
    description = text(data.get("description"))
    record = biz.stamped("attachments", description, _uuid(biz))
    # The example shows null for an attachment without a description (the /attachments list).
    record["displayed_as"] = description or None
    record.update(
        {
            "mime_type": mime,
            "description": description,
            "file_extension": PurePath(name).suffix.lower(),
            "transaction": transaction,
            "file_size": len(content),
            "file_name": name,
            "$file_path": f"/attachments/{record['id']}/file",
            "attachment_context_type": link(context_type) if context_type else None,
            "attachment_context": link(context) if context else None,
            "is_public": data.get("is_public") is True,
            # The file itself, kept hidden (keys starting "_" are never shown).
            "_file": base64.b64encode(content).decode("ascii"),
        }
    )
    return biz.save("attachments", record)


def update_attachment(biz: Business, record: Record, data: Data) -> Record:
    """putAttachments: the description and visibility change (the only fields simulated)."""
    updated = dict(record)
    if "description" in data:
        updated["description"] = text(data["description"])
        updated["displayed_as"] = updated["description"] or None
    if "is_public" in data:
        updated["is_public"] = data["is_public"] is True
    updated["updated_at"] = biz.clock.stamp()
    return biz.save("attachments", updated)


def download(_biz: Business, record: Record) -> tuple[str, bytes]:
    """GET /attachments/{key}/file: the bytes, with the type they were uploaded as."""
    return str(record["mime_type"]), base64.b64decode(record["_file"])


def attached(biz: Business) -> set[str]:
    """Ids of the records that have an attachment (``has_attachments`` filters)."""
    found: set[str] = set()
    for record in biz.collection("attachments").records.values():
        context = record.get("attachment_context")
        if context:
            found.add(context["id"])
    return found


def _matches(_biz: Business) -> Callable[[Record, Mapping[str, str]], bool]:
    def matches(record: Record, q: Mapping[str, str]) -> bool:
        for name in ("attachment_context_type", "attachment_context"):
            wanted = q.get(f"{name}_id")
            if wanted and (record.get(name) or {}).get("id") != wanted:
                return False
        return True

    return matches


register(
    Resource(
        "attachment_context_types",
        "attachment_context_type",
        on_collection=READ,
        on_record=READ,
        shared=True,
        reference=_context_types,
    )
)
register(
    Resource(
        "attachments",
        "attachment",
        create=create_attachment,
        update=update_attachment,
        files={"file": download},
        simulated=dict.fromkeys(
            (
                "file",
                "file_name",
                "mime_type",
                "description",
                "file_extension",
                "transaction_id",
                "file_size",
                "attachment_context_type_id",
                "attachment_context_id",
                "is_public",
            )
        ),
        create_only=frozenset(
            {
                "file",
                "file_name",
                "mime_type",
                "file_extension",
                "transaction_id",
                "file_size",
                "attachment_context_type_id",
                "attachment_context_id",
            }
        ),
        filters=frozenset({"attachment_context_type_id", "attachment_context_id"}),
        matches=_matches,
    )
)
