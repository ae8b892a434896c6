"""The simulated resources: validation, Sage's record shapes, invoice arithmetic, list filters."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, NamedTuple

from sage_accounting.sandbox._store import Clock, Collection, Persistence, Record

CENT = Decimal("0.01")


class SageError(Exception):
    """A refusal with Sage's error body: ``[{$severity, $dataCode, $message, $source}, ...]``."""

    def __init__(self, status: int, problems: Iterable[tuple[str, str, str]]) -> None:
        self.status = status
        self.problems = list(problems)  # (dataCode, message, source)
        super().__init__(status, self.problems)

    def body(self) -> list[dict[str, str]]:
        return [
            {"$severity": "error", "$dataCode": code, "$message": message, "$source": source}
            for code, message, source in self.problems
        ]


def invalid(*problems: tuple[str, str]) -> SageError:
    """422 RecordInvalid; each problem is (source field, message)."""
    return SageError(422, [("RecordInvalid", message, source) for source, message in problems])


def not_found() -> SageError:
    return SageError(404, [("RecordNotFound", "Record not found", "")])


def money_text(amount: Decimal) -> str:
    """Sage's rendering of decimals: ``"5009.5"``, ``"20.0"``, never an exponent."""
    text = format(amount.normalize(), "f")
    if "." not in text:
        text += ".0"
    return "0.0" if text in {"-0.0", "-0"} else text


def parse_decimal(raw: Any, source: str) -> Decimal:
    if isinstance(raw, bool) or raw is None or raw == "":
        raise invalid((source, "is not a number"))
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise invalid((source, "is not a number")) from None
    if not value.is_finite():
        raise invalid((source, "is not a number"))
    return value


def parse_date(raw: Any, source: str) -> date:
    if not isinstance(raw, str):
        raise invalid((source, "can't be blank" if raw in (None, "") else "is not a date"))
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise invalid((source, "is not a date")) from None


def parse_since(raw: str, source: str) -> str:
    """An ISO date or date-time from a query, as a comparable ``YYYY-MM-DDTHH:MM:SSZ``."""
    try:
        # A "+01:00" offset arrives as " 01:00" when the caller did not encode the plus sign.
        when = datetime.fromisoformat(raw.strip().replace(" ", "+"))
    except ValueError:
        raise invalid((source, "is not a valid date-time")) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def link(record: Mapping[str, Any]) -> dict[str, Any]:
    """The ``{id, displayed_as, $path}`` stub Sage puts wherever one record points at another.

    Stubs of reference data (no ``created_at``: countries, currencies, tax rates, types) never
    change, so one shared dict serves every record: 100,000 contacts then cost megabytes less.
    Records are never mutated in place (updates copy them), which keeps the sharing safe.
    """
    if "created_at" not in record or record["$path"].startswith("/tax_rates/"):
        cached = _STUBS.get(record["$path"])
        if cached is None:
            cached = _STUBS[record["$path"]] = _stub(record)
        return cached
    return _stub(record)


def _stub(record: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": record["id"], "displayed_as": record["displayed_as"], "$path": record["$path"]}


_STUBS: dict[str, dict[str, Any]] = {}


def text(raw: Any) -> str:
    return raw.strip() if isinstance(raw, str) else ""


@dataclass
class Business:
    """One business's books: its collections, counters and idempotency replies."""

    id: str
    name: str
    clock: Clock
    new_id: Callable[[], str]
    persist: Persistence | None = None
    collections: dict[str, Collection] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    replies: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Uniqueness indexes, so a create stays O(1) however many records exist.
    references: dict[str, str] = field(default_factory=dict)
    nominal_codes: dict[int, str] = field(default_factory=dict)
    usage: dict[str, int] = field(default_factory=dict)

    def collection(self, name: str) -> Collection:
        found = self.collections.get(name)
        if found is None:
            found = self.collections[name] = Collection(name)
        return found

    def find(self, name: str, key: Any, source: str) -> Record:
        """A referenced record, or 422 naming the field that pointed at nothing."""
        record = self.collection(name).get(key) if isinstance(key, str) else None
        if record is None:
            raise invalid((source, "is invalid" if key not in (None, "") else "can't be blank"))
        return record

    def save(self, name: str, record: Record) -> Record:
        self.collection(name).put(record)
        if self.persist is not None:
            self.persist.save(self.id, name, record)
        return record

    def remove(self, name: str, key: str) -> None:
        when = self.clock.stamp()
        self.collection(name).remove(key, when)
        if self.persist is not None:
            self.persist.delete(self.id, name, key, when)

    def next_number(self, counter: str) -> int:
        self.counters[counter] = self.counters.get(counter, 0) + 1
        return self.counters[counter]

    def stamped(self, name: str, displayed_as: str, key: str | None = None) -> Record:
        key = key or self.new_id()
        now = self.clock.stamp()
        return {
            "id": key,
            "displayed_as": displayed_as,
            "$path": f"/{name}/{key}",
            "created_at": now,
            "updated_at": now,
        }


# ---------------------------------------------------------------------------------------------
# Contacts, addresses, contact persons


def contact_display(name: str, reference: str) -> str:
    return f"{name} ({reference})" if reference else name


def _address(
    biz: Business,
    data: Mapping[str, Any],
    contact: Record,
    main: bool,
    source: str = "main_address",
    key: str | None = None,
) -> Record:
    """A contact's address record (created, or rewritten in place when ``key`` is given)."""
    country = biz.find("countries", data.get("country_id") or "GB", f"{source}.country_id")
    address_type = biz.find(
        "address_types", data.get("address_type_id") or "DELIVERY", f"{source}.address_type_id"
    )
    if "is_main_address" in data:
        main = data.get("is_main_address") is True
    lines = [
        text(data.get(k))
        for k in ("address_line_1", "address_line_2", "city", "region", "postal_code")
    ]
    record = biz.stamped("addresses", "\n".join(line for line in lines if line), key)
    old = biz.collection("addresses").get(key) if key else None
    if old is not None:
        record["created_at"] = old["created_at"]
    record.update(
        {
            "contact": link(contact),
            "address_type": link(address_type),
            "name": text(data.get("name")),
            "address_line_1": lines[0],
            "address_line_2": lines[1],
            "city": lines[2],
            "region": lines[3],
            "postal_code": lines[4],
            "country": link(country),
            "country_group": country_group(country["id"]),
            "is_main_address": main,
        }
    )
    return biz.save("addresses", record)


def _person(biz: Business, data: Mapping[str, Any], address: Record, main: bool) -> Record:
    name = text(data.get("name"))
    if not name:
        raise invalid(("name", "can't be blank"))
    type_ids = data.get("contact_person_type_ids") or ["ACCOUNTS"]
    if not isinstance(type_ids, list):
        raise invalid(("contact_person_type_ids", "is invalid"))
    types = [biz.find("contact_person_types", t, "contact_person_type_ids") for t in type_ids]
    record = biz.stamped("contact_persons", name)
    record.update(
        {
            "contact_person_types": [link(t) for t in types],
            "name": name,
            "job_title": text(data.get("job_title")),
            "telephone": text(data.get("telephone")),
            "mobile": text(data.get("mobile")),
            "email": text(data.get("email")),
            "fax": text(data.get("fax")),
            "is_main_contact": main,
            "is_preferred_contact": data.get("is_preferred_contact") is True,
            "address": link(address),
        }
    )
    return biz.save("contact_persons", record)


def _bank_details(data: Mapping[str, Any], current: Mapping[str, Any] | None) -> dict[str, Any]:
    """``bank_account_details`` as sent, merged over what the contact had; unset parts are
    null, as in the recorded customer (contacts__get_one_customer__DeskproApps-sage.json)."""
    raw = data.get("bank_account_details")
    out = dict(current or _NO_BANK_DETAILS)
    if raw is None:
        return out
    if not isinstance(raw, Mapping):
        raise invalid(("bank_account_details", "is invalid"))
    for key in _NO_BANK_DETAILS:
        if key in raw:
            out[key] = text(raw[key]) or None
    return out


# Values every new contact shares; see link() for why sharing is safe.
_PRICE_TYPE = {
    "id": "SALES_PRICE",
    "displayed_as": "Sales Price",
    "$path": "/product_sales_price_types/SALES_PRICE",
}
_TAX_TREATMENT = {
    "home_tax": True,
    "eu_tax_registered": False,
    "eu_not_tax_registered": False,
    "rest_of_world_tax": False,
    "is_importer": None,
}
_STATEMENT_RUN = {"id": "statement_delivery_method_none", "name": "Not sent"}
_NO_BANK_DETAILS: dict[str, str | None] = {
    "account_name": None,
    "account_number": None,
    "sort_code": None,
    "bic": None,
    "iban": None,
}
_COUNTRY_GROUP = {"id": "ALL", "displayed_as": "Other", "$path": "/country_groups/ALL"}
_GBIE = {"id": "GBIE", "displayed_as": "UK & Ireland", "$path": "/country_groups/GBIE"}

#: [G-inv]: "you cannot assign more than one contact_type_id" (the error text is unknown).
ONE_CONTACT_TYPE = ("contact_type_ids", "cannot hold more than one contact type")
#: The address fields in the order Sage joins them into ``displayed_as``.
_ADDRESS_LINES = ("address_line_1", "address_line_2", "city", "region", "postal_code")


def country_group(country_id: str) -> dict[str, str]:
    """The address's country group: GB and IE are "UK & Ireland" (GBIE), as the recorded
    contacts' newer addresses and invoices show; other countries "Other" (ALL). An EU group
    exists in Sage's UI but no recording shows its id, so EU countries get ALL (unknown)."""
    return _GBIE if country_id in {"GB", "IE"} else _COUNTRY_GROUP


_CONTACT_FIELDS = (
    "name",
    "reference",
    "tax_number",
    "notes",
    "locale",
    "email",
    "registered_number",
    "credit_terms_and_conditions",
)


def create_contact(biz: Business, data: Mapping[str, Any], *, system: bool = False) -> Record:
    name = text(data.get("name"))
    problems = []
    if not name:
        problems.append(("name", "can't be blank"))
    type_ids = data.get("contact_type_ids")
    if not isinstance(type_ids, list) or not type_ids:
        problems.append(("contact_type_ids", "can't be blank"))
    elif any(biz.collection("contact_types").get(str(t)) is None for t in type_ids):
        problems.append(("contact_type_ids", "is invalid"))
    elif len(type_ids) > 1:
        problems.append(ONE_CONTACT_TYPE)
    reference = text(data.get("reference"))
    if reference and reference.upper() in biz.references:
        problems.append(("reference", "has already been taken"))
    if len(reference) > 8 and not system:
        problems.append(("reference", "is too long (maximum is 8 characters)"))
    if problems:
        raise invalid(*problems)
    assert isinstance(type_ids, list)
    is_customer = "CUSTOMER" in type_ids
    record = biz.stamped("contacts", contact_display(name, reference))
    record.update({"links": [], "contact_types": []})
    _apply_contact(biz, record, data, is_customer)
    record.update(
        {
            "contact_types": [
                link(biz.find("contact_types", t, "contact_type_ids")) for t in type_ids
            ],
            "system": system,
            "deletable": not system,
        }
    )
    _check_nested(biz, data)
    _contact_addresses(biz, record, data)
    if reference:
        biz.references[reference.upper()] = record["id"]
    return biz.save("contacts", record)


def _apply_contact(
    biz: Business, record: Record, data: Mapping[str, Any], is_customer: bool
) -> None:
    """Set a contact's scalar and linked fields from a create or update body."""
    for key in _CONTACT_FIELDS:
        if key in data or key not in record:
            record[key] = text(data.get(key)) if key != "registered_number" else data.get(key)
    record.setdefault("locale", "en")
    if not record["locale"]:
        record["locale"] = "en"
    if "credit_limit" in data or "credit_limit" not in record:
        limit = data.get("credit_limit")
        record["credit_limit"] = money_text(
            parse_decimal(limit, "credit_limit") if limit not in (None, "") else Decimal(0)
        )
    if "credit_days" in data or "credit_days" not in record:
        days = data.get("credit_days", 30)
        if not isinstance(days, int) or isinstance(days, bool) or days < 0:
            raise invalid(("credit_days", "is not a number"))
        record["credit_days"] = days
    currency = biz.find("currencies", data.get("currency_id") or "GBP", "currency_id")
    sales_la = data.get("default_sales_ledger_account_id")
    purchase_la = data.get("default_purchase_ledger_account_id")
    record.update(
        {
            "default_sales_ledger_account": link(
                biz.find("ledger_accounts", sales_la, "default_sales_ledger_account_id")
            )
            if sales_la
            else record.get("default_sales_ledger_account")
            or (_by_code(biz, 4000) if is_customer else None),
            "default_sales_tax_rate": link(
                biz.find(
                    "tax_rates", data.get("default_sales_tax_rate_id"), "default_sales_tax_rate_id"
                )
            )
            if data.get("default_sales_tax_rate_id")
            else record.get("default_sales_tax_rate")
            or (link(biz.find("tax_rates", "GB_STANDARD", "")) if is_customer else None),
            "default_purchase_ledger_account": link(
                biz.find("ledger_accounts", purchase_la, "default_purchase_ledger_account_id")
            )
            if purchase_la
            else record.get("default_purchase_ledger_account")
            or (None if is_customer else _by_code(biz, 5000)),
            "currency": link(currency),
            "credit_terms": None,
            "product_sales_price_type": _PRICE_TYPE,
            "source_guid": data.get("source_guid"),
            "tax_treatment": _TAX_TREATMENT,
            "tax_calculation": "invoice",
            "gdpr_obfuscated": False,
            "has_unfinished_recurring_invoices": False,
            "cis_registered": False,
            "ni_based": False,
            "is_active": bool(data.get("is_active", record.get("is_active", True))),
            "gb_based": True,
            "cis_settings": None,
            "destination_vat_blocking": False,
            "mandate_active": False,
            "send_statements": False,
            "statement_run": _STATEMENT_RUN,
            "bank_account_details": _bank_details(data, record.get("bank_account_details")),
        }
    )


def _contact_addresses(biz: Business, record: Record, data: Mapping[str, Any]) -> None:
    """The main address, an optional separate delivery address and the main person.

    postContacts takes ``main_address`` and ``delivery_address``; the recorded customer has two
    address records, the delivery one with ``is_main_address`` false. Without a delivery
    address the main one serves as both.
    """
    address_data = data.get("main_address")
    address = _address(biz, address_data if isinstance(address_data, Mapping) else {}, record, True)
    stub = link(address)
    record["main_address"] = record["preferred_address"] = record["delivery_address"] = stub
    delivery_data = data.get("delivery_address")
    if isinstance(delivery_data, Mapping):
        delivery = _address(biz, delivery_data, record, False, "delivery_address")
        record["delivery_address"] = link(delivery)
    person_data = data.get("main_contact_person")
    if isinstance(person_data, Mapping) and text(person_data.get("name")):
        person = _person(biz, {"is_preferred_contact": True, **person_data}, address, True)
        record["main_contact_person"] = record["preferred_contact_person"] = link(person)
        if not record["email"]:
            record["email"] = person["email"]
    else:
        record["main_contact_person"] = record["preferred_contact_person"] = None


def _check_nested(biz: Business, data: Mapping[str, Any]) -> None:
    """Refuse a contact's bad addresses or person before any of them is saved, so that a 422
    leaves no half-made address or person behind."""
    problems: list[tuple[str, str]] = []
    for which in ("main_address", "delivery_address"):
        raw = data.get(which)
        if raw is None:
            continue
        if not isinstance(raw, Mapping):
            problems.append((which, "is invalid"))
            continue
        for key, resource in (("country_id", "countries"), ("address_type_id", "address_types")):
            value = raw.get(key)
            if value and biz.collection(resource).get(str(value)) is None:
                problems.append((f"{which}.{key}", "is invalid"))
    person = data.get("main_contact_person")
    if person is not None and not isinstance(person, Mapping):
        problems.append(("main_contact_person", "is invalid"))
    elif isinstance(person, Mapping):
        if "name" in person and not text(person.get("name")):
            problems.append(("main_contact_person.name", "can't be blank"))
        types = person.get("contact_person_type_ids")
        if types is not None and (
            not isinstance(types, list)
            or any(biz.collection("contact_person_types").get(str(t)) is None for t in types)
        ):
            problems.append(("main_contact_person.contact_person_type_ids", "is invalid"))
    if problems:
        raise invalid(*problems)


def _update_addresses(biz: Business, record: Record, data: Mapping[str, Any]) -> None:
    """putContacts ``main_address`` / ``delivery_address``: the fields sent change the
    contact's address records (the others keep their values); a delivery address that was the
    main one becomes a record of its own. ``displayed_as`` stubs on the contact follow."""
    for which, main in (("main_address", True), ("delivery_address", False)):
        raw = data.get(which)
        if raw is None:
            continue
        if not isinstance(raw, Mapping):
            raise invalid((which, "is invalid"))
        stub = record.get(which)
        shared = which == "delivery_address" and stub == record.get("main_address")
        current = biz.collection("addresses").get(stub["id"]) if stub and not shared else None
        merged: dict[str, Any] = {}
        if current is not None:
            merged = {k: current[k] for k in (*_ADDRESS_LINES, "name")}
            merged.update(
                country_id=current["country"]["id"],
                address_type_id=current["address_type"]["id"],
                is_main_address=current["is_main_address"],
            )
        merged.update(raw)
        key = current["id"] if current is not None else None
        address = _address(biz, merged, record, main, which, key)
        record[which] = link(address)
        if which == "main_address":
            record["preferred_address"] = link(address)
            if shared or record.get("delivery_address", {}).get("id") == address["id"]:
                record["delivery_address"] = link(address)


def update_contact(biz: Business, record: Record, data: Mapping[str, Any]) -> Record:
    if record.get("system"):
        raise invalid(("base", "System contacts cannot be edited"))
    updated = dict(record)
    if "name" in data and not text(data.get("name")):
        raise invalid(("name", "can't be blank"))
    old_ref = text(record.get("reference")).upper()
    new_ref = text(data.get("reference", record.get("reference"))).upper()
    if new_ref != old_ref and new_ref and new_ref in biz.references:
        raise invalid(("reference", "has already been taken"))
    types = [t["id"] for t in record["contact_types"]]
    if "contact_type_ids" in data:
        type_ids = data["contact_type_ids"]
        if not isinstance(type_ids, list) or not type_ids:
            raise invalid(("contact_type_ids", "can't be blank"))
        if len(type_ids) > 1:
            raise invalid(ONE_CONTACT_TYPE)
        updated["contact_types"] = [
            link(biz.find("contact_types", t, "contact_type_ids")) for t in type_ids
        ]
        types = list(type_ids)
    _apply_contact(biz, updated, data, "CUSTOMER" in types)
    _check_nested(biz, data)
    _update_addresses(biz, updated, data)
    person_data = data.get("main_contact_person")
    if isinstance(person_data, Mapping):
        # putContacts main_contact_person: changes the main person, or adds one.
        stub = updated.get("main_contact_person")
        if stub:
            person = update_contact_person(
                biz, biz.collection("contact_persons").records[stub["id"]], person_data
            )
        else:
            address = biz.collection("addresses").records[updated["main_address"]["id"]]
            person = _person(biz, {"is_preferred_contact": True, **person_data}, address, True)
        updated["main_contact_person"] = link(person)
        if updated.get("preferred_contact_person") in (None, stub):
            updated["preferred_contact_person"] = link(person)
    updated["displayed_as"] = contact_display(updated["name"], updated["reference"])
    updated["updated_at"] = biz.clock.stamp()
    if new_ref != old_ref:
        biz.references.pop(old_ref, None)
        if new_ref:
            biz.references[new_ref] = record["id"]
    return biz.save("contacts", updated)


def delete_contact(biz: Business, record: Record) -> None:
    if record.get("system"):
        raise invalid(("base", "System contacts cannot be deleted"))
    if biz.usage.get(record["id"]):
        raise invalid(("base", "Contact has transactions and cannot be deleted"))
    biz.references.pop(text(record.get("reference")).upper(), None)
    biz.remove("contacts", record["id"])


def create_contact_person(biz: Business, data: Mapping[str, Any]) -> Record:
    address_id = data.get("address_id")
    if not address_id and data.get("contact_id"):
        contact = biz.find("contacts", data.get("contact_id"), "contact_id")
        address_id = contact["main_address"]["id"]
    address = biz.find("addresses", address_id, "address_id")
    if not data.get("contact_person_type_ids"):
        # postContactPersons requires contact_person_type_ids (the spec's required list).
        raise invalid(("contact_person_type_ids", "can't be blank"))
    person = _person(biz, data, address, data.get("is_main_contact") is True)
    _person_flags(biz, person)
    return person


def update_contact_person(biz: Business, record: Record, data: Mapping[str, Any]) -> Record:
    updated = dict(record)
    if "name" in data and not text(data.get("name")):
        raise invalid(("name", "can't be blank"))
    for key in ("name", "job_title", "telephone", "mobile", "email", "fax"):
        if key in data:
            updated[key] = text(data[key])
    if "contact_person_type_ids" in data:
        type_ids = data["contact_person_type_ids"]
        if not isinstance(type_ids, list) or not type_ids:
            raise invalid(("contact_person_type_ids", "can't be blank"))
        updated["contact_person_types"] = [
            link(biz.find("contact_person_types", t, "contact_person_type_ids")) for t in type_ids
        ]
    if "address_id" in data:
        updated["address"] = link(biz.find("addresses", data["address_id"], "address_id"))
    for flag in ("is_main_contact", "is_preferred_contact"):
        if flag in data:
            updated[flag] = data[flag] is True
    updated["displayed_as"] = updated["name"]
    updated["updated_at"] = biz.clock.stamp()
    saved = biz.save("contact_persons", updated)
    _person_flags(biz, saved)
    return saved


def _person_flags(biz: Business, person: Record) -> None:
    """A main or preferred person becomes the contact's ``main_contact_person`` /
    ``preferred_contact_person``; the spec: "per contact, only one main contact can be
    selected", so the contact's other people lose the flag."""
    address = biz.collection("addresses").get(person["address"]["id"])
    contact = biz.collection("contacts").get(address["contact"]["id"]) if address else None
    if contact is None:
        return
    changed = dict(contact)
    for flag, slot in (
        ("is_main_contact", "main_contact_person"),
        ("is_preferred_contact", "preferred_contact_person"),
    ):
        if person[flag]:
            changed[slot] = link(person)
            for other in _people_of(biz, contact["id"]):
                if other["id"] != person["id"] and other[flag]:
                    biz.save("contact_persons", {**other, flag: False})
        elif (contact.get(slot) or {}).get("id") == person["id"]:
            changed[slot] = None
    if changed != contact:
        biz.save("contacts", changed)


def _people_of(biz: Business, contact_id: str) -> list[Record]:
    addresses = {
        a["id"]
        for a in biz.collection("addresses").records.values()
        if a["contact"]["id"] == contact_id
    }
    return [
        p
        for p in biz.collection("contact_persons").records.values()
        if p["address"]["id"] in addresses
    ]


# ---------------------------------------------------------------------------------------------
# Ledger accounts


def _by_code(biz: Business, code: int) -> dict[str, Any] | None:
    key = biz.nominal_codes.get(code)
    record = biz.collection("ledger_accounts").get(key) if key else None
    return link(record) if record else None


_VISIBILITY = {
    "banking": "bank",
    "expenses": "expenses",
    "journals": "journals",
    "other_payments": "other_payment",
    "other_receipts": "other_receipt",
    "reporting": "reporting",
    "sales": "sales",
    "purchasing": "purchasing",
}


def create_ledger_account(
    biz: Business,
    data: Mapping[str, Any],
    *,
    scopes: Iterable[str] | None = None,
    control_name: str | None = None,
) -> Record:
    problems = []
    type_id = data.get("ledger_account_type_id")
    la_type = (
        biz.collection("ledger_account_types").get(type_id) if isinstance(type_id, str) else None
    )
    if la_type is None:
        problems.append(("ledger_account_type_id", "is invalid" if type_id else "can't be blank"))
    name = text(data.get("name"))
    if not name:
        problems.append(("name", "can't be blank"))
    code = data.get("nominal_code")
    if not isinstance(code, int) or isinstance(code, bool) or not 1 <= code <= 99999999:
        problems.append(("nominal_code", "can't be blank" if code is None else "is invalid"))
    elif code in biz.nominal_codes:
        problems.append(("nominal_code", "has already been taken"))
    if "included_in_chart" not in data:
        problems.append(("included_in_chart", "can't be blank"))
    if problems:
        raise invalid(*problems)
    assert la_type is not None
    assert isinstance(code, int)
    tax_rate = biz.find("tax_rates", data.get("tax_rate_id") or "GB_NO_TAX", "tax_rate_id")
    visible = _scopes(data, scopes or ("journals", "reporting"))
    record = biz.stamped("ledger_accounts", f"{name} ({code:04d})")
    record.update(
        {
            "ledger_account_group": {
                "id": la_type["_group"],
                "displayed_as": la_type["_group_name"],
            },
            "name": name,
            "display_name": text(data.get("display_name")) or name,
            "visible_scopes": visible,
            "included_in_chart": bool(data.get("included_in_chart")),
            "nominal_code": code,
            "ledger_account_type": link(la_type),
            "ledger_account_classification": None,
            "tax_rate": link(tax_rate),
            "fixed_tax_rate": data.get("fixed_tax_rate") is True,
            **{f"visible_in_{k}": v in visible for k, v in _VISIBILITY.items()},
            # ledger_accounts__get_one__sage-swagger-2025-example.json has both.
            "ui_visible": True,
            "bank_attached": type_id == "BANK",
            "balance_details": None,
            "is_control_account": control_name is not None,
            "control_name": control_name,
            # Codes are shown zero-padded to four digits: "Office equipment (0030)",
            # "0041 - Fixtures ..." (ledger_accounts__list_paged and __get_one samples).
            "display_formatted": f"{code:04d} - {name}",
            "tax_recoverable": None,
            "recoverable_percentage": None,
            "non_recoverable_ledger_account": None,
            "cis_materials": False,
            "tax_instalment": False,
            "cis_labour": False,
            "gifi_code": _gifi(data.get("gifi_code")),
        }
    )
    biz.nominal_codes[code] = record["id"]
    return biz.save("ledger_accounts", record)


def _scopes(data: Mapping[str, Any], default: Iterable[str]) -> list[str]:
    """``visible_scopes`` from the ``visible_in_*`` flags of postLedgerAccounts/putLedgerAccounts
    (each flag sent wins over the scopes the account had)."""
    scopes = set(default)
    for flag, scope in _VISIBILITY.items():
        value = data.get(f"visible_in_{flag}")
        if value is True:
            scopes.add(scope)
        elif value is False:
            scopes.discard(scope)
    return sorted(scopes)


def _gifi(raw: Any) -> int | None:
    if raw is None:
        return None
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < 0:
        raise invalid(("gifi_code", "is invalid"))
    return raw


def update_ledger_account(biz: Business, record: Record, data: Mapping[str, Any]) -> Record:
    updated = dict(record)
    if "ledger_account_type_id" in data:
        la_type = biz.find(
            "ledger_account_types", data["ledger_account_type_id"], "ledger_account_type_id"
        )
        updated["ledger_account_type"] = link(la_type)
        updated["ledger_account_group"] = {
            "id": la_type["_group"],
            "displayed_as": la_type["_group_name"],
        }
    if "fixed_tax_rate" in data:
        updated["fixed_tax_rate"] = data["fixed_tax_rate"] is True
    if "gifi_code" in data:
        updated["gifi_code"] = _gifi(data["gifi_code"])
    if any(f"visible_in_{flag}" in data for flag in _VISIBILITY):
        updated["visible_scopes"] = _scopes(data, record["visible_scopes"])
        for flag, scope in _VISIBILITY.items():
            updated[f"visible_in_{flag}"] = scope in updated["visible_scopes"]
    if "name" in data:
        if not text(data["name"]):
            raise invalid(("name", "can't be blank"))
        updated["name"] = text(data["name"])
    if "display_name" in data:
        updated["display_name"] = text(data["display_name"])
    if "nominal_code" in data and data["nominal_code"] != record["nominal_code"]:
        code = data["nominal_code"]
        if not isinstance(code, int) or isinstance(code, bool) or code <= 0:
            raise invalid(("nominal_code", "is invalid"))
        if code in biz.nominal_codes:
            raise invalid(("nominal_code", "has already been taken"))
        biz.nominal_codes.pop(record["nominal_code"], None)
        biz.nominal_codes[code] = record["id"]
        updated["nominal_code"] = code
    if "tax_rate_id" in data:
        updated["tax_rate"] = link(biz.find("tax_rates", data["tax_rate_id"], "tax_rate_id"))
    if "included_in_chart" in data:
        updated["included_in_chart"] = bool(data["included_in_chart"])
    updated["displayed_as"] = f"{updated['name']} ({updated['nominal_code']:04d})"
    updated["display_formatted"] = f"{updated['nominal_code']:04d} - {updated['name']}"
    updated["updated_at"] = biz.clock.stamp()
    return biz.save("ledger_accounts", updated)


# ---------------------------------------------------------------------------------------------
# Invoices

STATUS_NAMES = {
    "DRAFT": "Draft",
    "PRO_FORMA": "Pro-Forma",
    "UNPAID": "Unpaid",
    "PART_PAID": "Part Paid",
    "PAID": "Paid",
    "VOID": "Void",
}


def _status(status_id: str) -> dict[str, str]:
    return {
        "id": status_id,
        "displayed_as": STATUS_NAMES[status_id],
        "$path": f"/artefact_statuses/{status_id}",
    }


@dataclass(frozen=True)
class _Kind:
    """What differs between sales and purchase invoices."""

    collection: str
    contact_type: str
    transaction_type: tuple[str, str]
    number_prefix: str | None


SALES = _Kind("sales_invoices", "CUSTOMER", ("SALES_INVOICE", "Sales Invoice"), "SI-")
PURCHASES = _Kind("purchase_invoices", "VENDOR", ("PURCHASE_INVOICE", "Purchase Invoice"), None)


#: The invoice settings' prefix of each numbered kind (putInvoiceSettings).
_PREFIX_SETTINGS = {
    "sales_invoices": "sales_invoice_number_prefix",
    # The /invoice_settings example [S2]: "SCN-", "SQ-", "SE-" (_credit_notes.py, _quotes.py).
    "sales_credit_notes": "sales_credit_note_number_prefix",
    "sales_quotes": "quote_number_prefix",
    "sales_estimates": "estimate_number_prefix",
}


def number_prefix(biz: Business, kind: _Kind) -> str | None:
    """The prefix of ``kind``'s numbers: the business's invoice settings (``/invoice_settings``,
    sandbox/_settings.py) where it has one, else Sage's default ("SI-")."""
    return settings_prefix(biz, kind.collection, kind.number_prefix)


def settings_prefix(biz: Business, collection: str, default: str | None) -> str | None:
    """The number prefix the invoice settings give ``collection``'s records, else ``default``."""
    settings = biz.collection("_invoice_settings").get("_invoice_settings") or {}
    return settings.get(_PREFIX_SETTINGS.get(collection, "")) or default


#: [G-inv]: "status on create can only be UNPAID (the default), DRAFT or PRO_FORMA".
CREATE_STATUSES = frozenset({"UNPAID", "DRAFT", "PRO_FORMA"})
#: [G-inv]: DRAFT and PRO_FORMA invoices create no transaction and take no payments.
NOT_ISSUED = frozenset({"DRAFT", "PRO_FORMA"})


def _round(amount: Decimal) -> Decimal:
    # Sage rounds each line's net and tax to the penny, half up, then sums the lines.
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _lines(
    biz: Business, raw: Any, purchase: bool = False, source: str = "invoice_lines"
) -> tuple[list[Record], dict[str, Decimal], list[Record]]:
    if not isinstance(raw, list) or not raw:
        raise invalid((source, "can't be blank"))
    lines: list[Record] = []
    totals = {k: Decimal(0) for k in ("net", "tax", "total", "quantity", "discount")}
    analysis: dict[str, list[Decimal]] = {}
    problems: list[tuple[str, str]] = []
    for index, line in enumerate(raw):
        where = f"{source}[{index}]"
        if not isinstance(line, Mapping):
            raise invalid((where, "is invalid"))
        description = text(line.get("description"))
        if not description:
            problems.append((f"{where}.description", "can't be blank"))
        try:
            account = biz.find(
                "ledger_accounts", line.get("ledger_account_id"), f"{where}.ledger_account_id"
            )
            quantity = parse_decimal(line.get("quantity", "1"), f"{where}.quantity")
            price = parse_decimal(line.get("unit_price"), f"{where}.unit_price")
            # postSalesInvoices invoice_lines: discount_amount, discount_percentage and
            # unit_price_includes_tax are line inputs; each one changes what is booked.
            percent_off = (
                parse_decimal(line["discount_percentage"], f"{where}.discount_percentage")
                if line.get("discount_amount") is None
                and line.get("discount_percentage") is not None
                else None
            )
            discount = parse_decimal(line.get("discount_amount", "0"), f"{where}.discount_amount")
            includes_tax = line.get("unit_price_includes_tax") is True
            rate_id = line.get("tax_rate_id") or account["tax_rate"]["id"]
            rate = biz.find("tax_rates", rate_id, f"{where}.tax_rate_id")
            items = {f: _catalogue_link(biz, line, f, where) for f in ("product", "service")}
        except SageError as error:
            problems.extend((p[2], p[1]) for p in error.problems)
            continue
        if problems:
            continue
        if percent_off is not None:
            discount = _round(quantity * price) * percent_off / 100
        # The line's amount after its discount; gross when the unit price includes tax.
        amount = _round(quantity * price) - _round(discount)
        # [G-inv]: a line's tax_amount "if optional and omitted" becomes zero; Sage does not
        # work VAT out from the rate (the spec's own words: "required in v3.1, unless the tax
        # rate is of a 'zero', 'exempt' or 'no_tax' type"). So an omitted amount books no tax.
        tax = (
            _round(parse_decimal(line["tax_amount"], f"{where}.tax_amount"))
            if line.get("tax_amount") is not None
            else Decimal(0)
        )
        # unit_price_includes_tax ("Defines whether the unit price includes tax", spec): the
        # tax is inside the amount, so the net is what is left and the total is the amount.
        net, total = (amount - tax, amount) if includes_tax else (amount, amount + tax)
        discount = _round(discount)
        for key, amount in (
            ("net", net),
            ("tax", tax),
            ("total", total),
            ("quantity", quantity),
            ("discount", discount),
        ):
            totals[key] += amount
        sums = analysis.setdefault(rate["id"], [Decimal(0), Decimal(0)])
        sums[0] += net
        sums[1] += tax
        breakdown = [
            {"tax_rate": link(rate), "percentage": rate["percentage"], "amount": money_text(tax)}
        ]
        record = {
            "id": biz.new_id(),
            "displayed_as": description,
            "description": description,
            "product": items["product"],
            "service": items["service"],
            "ledger_account": link(account),
            "trade_of_asset": False,
            "quantity": money_text(quantity),
            "unit_price": money_text(price),
            "net_amount": money_text(net),
            "tax_rate": link(rate),
            "tax_amount": money_text(tax),
            "tax_breakdown": breakdown,
            "total_amount": money_text(total),
            "base_currency_unit_price": money_text(price),
            "unit_price_includes_tax": includes_tax,
            "base_currency_net_amount": money_text(net),
            "base_currency_tax_amount": money_text(tax),
            "base_currency_tax_breakdown": breakdown,
            "base_currency_total_amount": money_text(total),
            "eu_goods_services_type": None,
            "discount_amount": money_text(discount),
            "base_currency_discount_amount": money_text(discount),
            "discount_percentage": money_text(
                percent_off
                if percent_off is not None
                else _round(discount * 100 / (quantity * price))
                if quantity * price
                else Decimal(0)
            ),
            "eu_sales_description": None,
        }
        if purchase:
            record.update(
                is_purchase_for_resale=False, gst_amount=None, pst_amount=None, tax_recoverable=None
            )
        lines.append(record)
    if problems:
        raise invalid(*problems)
    biz_analysis = []
    for rate_id, (net, tax) in analysis.items():
        rate = biz.find("tax_rates", rate_id, "")
        biz_analysis.append(
            {
                "tax_rate": link(rate),
                "net_amount": money_text(net),
                "tax_amount": money_text(tax),
                "total_amount": money_text(net + tax),
                "goods_amount": money_text(net),
                "service_amount": "0.0",
            }
        )
    return lines, totals, biz_analysis


def _catalogue_link(biz: Business, line: Mapping[str, Any], kind: str, where: str) -> Any:
    """A line's product or service (postSalesInvoices invoice_lines ``product_id`` and
    ``service_id``, ids of /products and /services, sandbox/_catalogue.py), or None."""
    key = line.get(f"{kind}_id")
    if key in (None, ""):
        return None
    return link(biz.find(f"{kind}s", key, f"{where}.{kind}_id"))


def _set_amounts(
    record: Record,
    lines: list[Record],
    totals: dict[str, Decimal],
    analysis: list[Record],
    lines_key: str = "invoice_lines",
) -> None:
    """An artefact's lines and totals; ``lines_key`` names its lines (``credit_note_lines``,
    ``quote_lines``, ...), which Sage keys by artefact."""
    paid = Decimal(record.get("total_paid", "0"))
    discount = record.get("payments_allocations_total_discount") or "0.0"
    net, tax, total = totals["net"], totals["tax"], totals["total"]
    outstanding = total - paid - Decimal(discount)
    record.update(
        {
            lines_key: lines,
            "tax_analysis": analysis,
            "net_amount": money_text(net),
            "tax_amount": money_text(tax),
            "total_amount": money_text(total),
            "total_quantity": money_text(totals["quantity"]),
            "total_discount_amount": money_text(totals["discount"]),
            "base_currency_total_discount_amount": money_text(totals["discount"]),
            "payments_allocations_total_amount": money_text(paid),
            "payments_allocations_total_discount": discount,
            "total_paid": money_text(paid),
            "outstanding_amount": money_text(outstanding),
            "base_currency_net_amount": money_text(net),
            "base_currency_tax_amount": money_text(tax),
            "base_currency_total_amount": money_text(total),
            "base_currency_outstanding_amount": money_text(outstanding),
        }
    )


def _contact_for(biz: Business, kind: _Kind, key: Any) -> Record:
    contact = biz.find("contacts", key, "contact_id")
    if kind.contact_type not in {t["id"] for t in contact["contact_types"]}:
        # Sage's own words for this case, with an empty $source (as reported in
        # github.com/Sage/sageone_api_php_sample/issues/29 for a customer on a purchase invoice).
        wanted = "Customer" if kind is SALES else "Supplier"
        raise invalid(("", f"Couldn't find {wanted}."))
    return contact


def create_invoice(
    biz: Business, kind: _Kind, data: Mapping[str, Any], *, check_amounts: bool = False
) -> Record:
    problems: list[tuple[str, str]] = []
    contact: Record | None = None
    invoice_date: date | None = None
    lines: list[Record] = []
    totals: dict[str, Decimal] = {}
    analysis: list[Record] = []
    for step in ("contact", "date", "lines"):
        try:
            if step == "contact":
                contact = _contact_for(biz, kind, data.get("contact_id"))
            elif step == "date":
                invoice_date = parse_date(data.get("date"), "date")
            else:
                lines, totals, analysis = _lines(
                    biz, data.get("invoice_lines"), purchase=kind is PURCHASES
                )
        except SageError as error:
            problems.extend((p[2], p[1]) for p in error.problems)
    status_id = data.get("status_id") or "UNPAID"
    if status_id not in CREATE_STATUSES:
        problems.append(("status_id", "is invalid"))
    if kind is PURCHASES:
        problems += _purchase_requirements(data)
    quote: Record | None = None
    if kind is SALES and contact is not None:
        # postSalesInvoices original_quote_estimate_id: the quote or estimate invoiced
        # (sandbox/_quotes.py, which imports this module).
        from sage_accounting.sandbox import _quotes

        quote, quoted = _quotes.source_of(biz, data, contact["id"])
        problems += quoted
    if problems:
        raise invalid(*problems)
    assert contact is not None
    assert invoice_date is not None
    _line_flags(kind, data, lines)
    if check_amounts:
        _check_amounts(data, lines, totals)
    if data.get("due_date"):
        due = parse_date(data.get("due_date"), "due_date")
        if due < invoice_date:
            raise invalid(("due_date", "must be on or after the invoice date"))
    else:
        due = invoice_date + timedelta(days=int(contact.get("credit_days") or 30))
    currency = biz.find("currencies", data.get("currency_id") or "GBP", "currency_id")
    rate = _exchange_rate(biz, data, currency["id"])
    issued = status_id not in NOT_ISSUED
    prefix = text(data.get("invoice_number_prefix")) or number_prefix(biz, kind)
    if prefix:
        # [G-inv]: a draft's invoice_number reads "SI-DRAFT"; the number (last + 1) is given
        # when it is released. A custom prefix replaces "SI-" in both (inferred).
        number = f"{prefix}{biz.next_number(kind.collection)}" if issued else f"{prefix}DRAFT"
        displayed = number
    else:
        number = ""
        displayed = text(data.get("vendor_reference")) or text(data.get("reference"))
    record = biz.stamped(kind.collection, displayed)
    record.update(
        {
            "links": [],
            "editable": True,
            "vat_reverse_charge": False,
            "tax_calculation_method": None,
            # [G-inv]: DRAFT and PRO_FORMA create no transaction ("transaction is null").
            "transaction": _transaction(biz, displayed) if issued else None,
            "transaction_type": {
                "id": kind.transaction_type[0],
                "displayed_as": kind.transaction_type[1],
                "$path": f"/transaction_types/{kind.transaction_type[0]}",
            },
            "is_cis": False,
            "cis_applicable_amount": None,
            "base_currency_cis_applicable_amount": None,
            "total_after_cis_deduction": None,
            "base_currency_total_after_cis_deduction": None,
            "has_cis_labour": False,
            "has_cis_materials": False,
            "contact": link(contact),
            # Sent values win; otherwise the contact's, copied (postSalesInvoices contact_name:
            # "the name of the contact when the invoice was created").
            "contact_name": text(data.get("contact_name")) or contact["name"],
            "contact_reference": text(data.get("contact_reference")) or contact["reference"],
            "date": invoice_date.isoformat(),
            "due_date": due.isoformat(),
            "reference": text(data.get("reference")),
            "notes": text(data.get("notes")),
            "currency": link(currency),
            "exchange_rate": money_text(rate),
            "inverse_exchange_rate": money_text(_inverse(rate)),
            "status": _status(status_id),
            "void_reason": None,
            "last_paid": "",
            "tax_address_region": None,
            "withholding_tax_rate": None,
            "withholding_tax_amount": None,
            "base_currency_withholding_tax_amount": None,
            "tax_reconciled": False,
            "migrated": False,
        }
    )
    if kind is SALES:
        address = _address_copy(biz, contact, "main_address")
        main = _invoice_address(biz, data, "main_address", "ACCOUNTS") or address
        delivery = (
            _invoice_address(biz, data, "delivery_address", "DELIVERY")
            or _address_copy(biz, contact, "delivery_address")
            or address
        )
        record.update(
            {
                "destination_consignment": False,
                "destination_vat_rates_in_use": False,
                "invoice_number_prefix": prefix,
                "invoice_number": number,
                "main_address_free_form": main["displayed_as"] if main else "",
                "main_address": main,
                "delivery_address_free_form": delivery["displayed_as"] if delivery else "",
                "delivery_address": delivery,
                "terms_and_conditions": text(data.get("terms_and_conditions")),
                "shipping_net_amount": "0.0",
                "shipping_tax_rate": None,
                "shipping_tax_amount": "0.0",
                "shipping_tax_breakdown": [],
                "shipping_total_amount": "0.0",
                "base_currency_shipping_net_amount": "0.0",
                "base_currency_shipping_tax_amount": "0.0",
                "base_currency_shipping_tax_breakdown": [],
                "base_currency_shipping_total_amount": "0.0",
                "sent": False,
                "sent_by_email": False,
                "original_quote_estimate": link(quote) if quote is not None else None,
                "delivery_performance_date": None,
                "pas_payment_submission": None,
            }
        )
    else:
        record.update(
            {
                "postponed_accounting": False,
                "import": False,
                "vat_exempt_consignment": False,
                "base_currency_total_itc_amount": None,
                "total_itc_amount": None,
                "base_currency_total_itr_amount": None,
                "total_itr_amount": None,
                "part_recoverable": None,
                "vendor_reference": text(data.get("vendor_reference")),
            }
        )
    _set_amounts(record, lines, totals, analysis)
    _in_base_currency(record)
    biz.usage[contact["id"]] = biz.usage.get(contact["id"], 0) + 1
    saved = biz.save(kind.collection, record)
    if quote is not None:
        _quotes.mark_invoiced(biz, quote, saved)
    return saved


#: Header amounts a caller may send -> the key of the sandbox's own total.
_HEADER_TOTALS = {
    "net_amount": "net_amount",
    "tax_amount": "tax_amount",
    "total_amount": "total_amount",
    "total_quantity": "total_quantity",
}
_TOTAL_KEYS = {"net_amount": "net", "tax_amount": "tax", "total_amount": "total"}


def _check_amounts(
    data: Mapping[str, Any],
    lines: list[Record],
    totals: Mapping[str, Decimal],
    lines_key: str = "invoice_lines",
) -> None:
    """Amounts a caller sends that the sandbox works out itself (header net/tax/total and
    quantity, a line's net_amount and total_amount) must agree with its own figures.

    Whether Sage rejects a mismatch or stores what was sent is unknown ([G-inv] section 9):
    strict mode refuses it rather than keep one and drop the other silently.
    """
    problems: list[tuple[str, str]] = []
    for key in _HEADER_TOTALS:
        if data.get(key) is None:
            continue
        mine = totals.get(_TOTAL_KEYS.get(key, "quantity"), Decimal(0))
        if parse_decimal(data[key], key) != mine:
            problems.append((key, f"does not match the invoice's lines ({money_text(mine)})"))
    raw = data.get(lines_key)
    sent_lines = raw if isinstance(raw, list) and lines else []
    for index, (sent, line) in enumerate(zip(sent_lines, lines, strict=True)):
        for key in ("net_amount", "total_amount"):
            where = f"{lines_key}[{index}].{key}"
            given = sent.get(key) if isinstance(sent, Mapping) else None
            if given is not None and parse_decimal(given, where) != Decimal(line[key]):
                problems.append((where, f"does not match the line ({line[key]})"))
    if problems:
        raise invalid(*problems)


def _line_flags(kind: _Kind, data: Mapping[str, Any], lines: list[Record]) -> None:
    """postPurchaseInvoices' line ``is_purchase_for_resale``, kept as sent."""
    raw = data.get("invoice_lines")
    if kind is not PURCHASES or not isinstance(raw, list):
        return
    for sent, line in zip(raw, lines, strict=True):
        if isinstance(sent, Mapping) and "is_purchase_for_resale" in sent:
            line["is_purchase_for_resale"] = sent["is_purchase_for_resale"] is True


# ---------------------------------------------------------------------------------------------
# Strict mode: what the sandbox simulates, so that nothing else is accepted and dropped

_ADDRESS_IN = dict.fromkeys(
    (*_ADDRESS_LINES, "country_id", "address_type_id", "name", "is_main_address")
)
_INVOICE_ADDRESS_IN = dict.fromkeys((*_ADDRESS_LINES, "country_id", "address_type_id"))
_PERSON_IN = dict.fromkeys(
    (
        "contact_person_type_ids",
        "name",
        "job_title",
        "telephone",
        "mobile",
        "email",
        "fax",
        "is_main_contact",
        "is_preferred_contact",
    )
)
_LINE_IN = dict.fromkeys(
    (
        "description",
        "ledger_account_id",
        "product_id",
        "service_id",
        "quantity",
        "unit_price",
        "tax_rate_id",
        "tax_amount",
        "unit_price_includes_tax",
        "net_amount",
        "total_amount",
    )
)
_INVOICE_IN: dict[str, Any] = dict.fromkeys(
    (
        "contact_id",
        "date",
        "due_date",
        "reference",
        "notes",
        "currency_id",
        "exchange_rate",
        "status_id",
        "contact_name",
        "contact_reference",
        *_HEADER_TOTALS,
    )
)
#: resource -> the body fields the sandbox acts on; a dict value is a nested object, a list
#: value an array of such objects. Everything else is refused in strict mode.
SIMULATED: dict[str, dict[str, Any]] = {
    "contacts": {
        **dict.fromkeys(
            (
                "name",
                "contact_type_ids",
                "default_sales_ledger_account_id",
                "default_sales_tax_rate_id",
                "default_purchase_ledger_account_id",
                "credit_limit",
                "credit_days",
                "currency_id",
                "email",
                "is_active",
                *_CONTACT_FIELDS,
            )
        ),
        "main_address": _ADDRESS_IN,
        "delivery_address": _ADDRESS_IN,
        "main_contact_person": _PERSON_IN,
        "bank_account_details": dict.fromkeys(_NO_BANK_DETAILS),
    },
    "contact_persons": {**_PERSON_IN, "address_id": None, "contact_id": None},
    "ledger_accounts": dict.fromkeys(
        (
            "ledger_account_type_id",
            "included_in_chart",
            "name",
            "display_name",
            "nominal_code",
            "tax_rate_id",
            "fixed_tax_rate",
            "gifi_code",
            "visible_scopes",
            *(f"visible_in_{flag}" for flag in _VISIBILITY),
        )
    ),
    "sales_invoices": {
        **_INVOICE_IN,
        "invoice_number_prefix": None,
        "original_quote_estimate_id": None,
        "terms_and_conditions": None,
        "main_address": _INVOICE_ADDRESS_IN,
        "delivery_address": _INVOICE_ADDRESS_IN,
        "invoice_lines": [{**_LINE_IN, "discount_amount": None, "discount_percentage": None}],
    },
    "purchase_invoices": {
        **_INVOICE_IN,
        "vendor_reference": None,
        "invoice_lines": [{**_LINE_IN, "is_purchase_for_resale": None}],
    },
}
#: Fields any wrapper may carry: [G-idem]'s ``idempotency_id`` is handled before the resource.
_ANY_RESOURCE = frozenset({"idempotency_id"})
UNSIMULATED = "is not simulated by the sandbox, which refuses it rather than drop it"


#: Fields a create acts on but an update does not (a PUT cannot change an invoice's status,
#: [G-inv]: PAID and PART_PAID come from payments, DRAFT ends with release).
_CREATE_ONLY: dict[str, frozenset[str]] = {
    "sales_invoices": frozenset(
        {"status_id", "invoice_number_prefix", "original_quote_estimate_id"}
    ),
    "purchase_invoices": frozenset({"status_id"}),
    "contact_persons": frozenset({"contact_id"}),
    "ledger_accounts": frozenset({"visible_scopes"}),
}


def unsimulated(
    name: str, data: Mapping[str, Any], *, update: bool = False
) -> list[tuple[str, str]]:
    """Every body field (nested paths too) the sandbox would not act on, as 422 problems."""
    tree = SIMULATED.get(name)
    if tree is None:
        return []
    if update:
        tree = {k: v for k, v in tree.items() if k not in _CREATE_ONLY.get(name, ())}
    return unsimulated_in(tree, data)


def unsimulated_in(tree: Mapping[str, Any], data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The body fields outside ``tree`` (the fields a resource acts on), as 422 problems."""
    extra = {k: v for k, v in data.items() if k not in _ANY_RESOURCE}
    return [(where, UNSIMULATED) for where in _unknown(tree, extra, "")]


def _unknown(tree: Mapping[str, Any], data: Mapping[str, Any], prefix: str) -> list[str]:
    found: list[str] = []
    for key, value in data.items():
        where = f"{prefix}{key}"
        if key not in tree:
            found.append(where)
        elif isinstance(tree[key], dict) and isinstance(value, Mapping):
            found += _unknown(tree[key], value, where + ".")
        elif isinstance(tree[key], list) and isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, Mapping):
                    found += _unknown(tree[key][0], item, f"{where}[{index}].")
    return found


def _purchase_requirements(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """postPurchaseInvoices requires ``due_date``, and ``quantity`` on every line (the spec's
    required lists; sales lines need no quantity there)."""
    problems = []
    if data.get("due_date") in (None, ""):
        problems.append(("due_date", "can't be blank"))
    raw = data.get("invoice_lines")
    for index, line in enumerate(raw if isinstance(raw, list) else []):
        if isinstance(line, Mapping) and line.get("quantity") in (None, ""):
            problems.append((f"invoice_lines[{index}].quantity", "can't be blank"))
    return problems


def _transaction(biz: Business, displayed: str) -> Record:
    key = biz.new_id()
    return {"id": key, "displayed_as": displayed, "$path": f"/transactions/{key}"}


def _exchange_rate(biz: Business, data: Mapping[str, Any], currency_id: str) -> Decimal:
    """The invoice's ``exchange_rate`` (foreign units per unit of the base currency).

    The sandbox has no live rates: a foreign-currency invoice without a rate is refused rather
    than booked at a made-up one; the base currency's rate is 1.
    """
    base = biz.collection("_settings").records["financial_settings"]["base_currency"]["id"]
    raw = data.get("exchange_rate")
    if raw is None:
        if currency_id != base:
            raise invalid(("exchange_rate", "can't be blank (the sandbox has no live rates)"))
        return Decimal(1)
    rate = parse_decimal(raw, "exchange_rate")
    if rate <= 0:
        raise invalid(("exchange_rate", "must be greater than 0"))
    if currency_id == base and rate != 1:
        raise invalid(("exchange_rate", "must be 1 in the base currency"))
    return rate


def _inverse(rate: Decimal) -> Decimal:
    return (1 / rate).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


_BASE_AMOUNTS = ("net_amount", "tax_amount", "total_amount", "outstanding_amount")
_BASE_LINE_AMOUNTS = ("unit_price", "net_amount", "tax_amount", "total_amount", "discount_amount")


def _in_base_currency(record: Record, lines_key: str = "invoice_lines") -> None:
    """``base_currency_*`` amounts: each amount divided by the exchange rate, to the penny
    (the spec's "in base currency"; the rounding per amount is inferred)."""
    rate = Decimal(record["exchange_rate"])
    if rate == 1:
        return
    for key in (*_BASE_AMOUNTS, "total_discount_amount"):
        if key in record:
            record[f"base_currency_{key}"] = money_text(_round(Decimal(record[key]) / rate))
    lines = []
    for line in record[lines_key]:
        line = dict(line)
        for key in _BASE_LINE_AMOUNTS:
            line[f"base_currency_{key}"] = money_text(_round(Decimal(line[key]) / rate))
        lines.append(line)
    record[lines_key] = lines


def _invoice_address(
    biz: Business, data: Mapping[str, Any], key: str, default_type: str
) -> Record | None:
    """An address sent on the invoice itself (postSalesInvoices ``main_address`` and
    ``delivery_address``): kept on the invoice as a copy, ``$path`` empty, as Sage shows it."""
    raw = data.get(key)
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise invalid((key, "is invalid"))
    country = biz.find("countries", raw.get("country_id") or "GB", f"{key}.country_id")
    address_type = biz.find(
        "address_types", raw.get("address_type_id") or default_type, f"{key}.address_type_id"
    )
    parts = [text(raw.get(k)) for k in _ADDRESS_LINES]
    return {
        "id": biz.new_id(),
        "displayed_as": "\n".join(part for part in parts if part),
        "$path": "",
        "address_line_1": parts[0],
        "address_line_2": parts[1],
        "city": parts[2],
        "postal_code": parts[4],
        "country": link(country),
        "address_type": link(address_type),
        "region": parts[3],
        "country_group": country_group(country["id"]),
    }


def _address_copy(biz: Business, contact: Record, which: str) -> Record | None:
    """Invoices carry a copy of the contact's address (``$path`` empty), not a link to it."""
    stub = contact.get(which)
    address = biz.collection("addresses").get(stub["id"]) if stub else None
    if address is None:
        return None
    keys = ("address_line_1", "address_line_2", "city", "postal_code", "country", "address_type")
    copy = {"id": address["id"], "displayed_as": address["displayed_as"], "$path": ""}
    copy.update((k, address[k]) for k in keys)
    copy.update(region=address["region"], country_group=address["country_group"])
    return copy


def update_invoice(
    biz: Business,
    kind: _Kind,
    record: Record,
    data: Mapping[str, Any],
    *,
    check_amounts: bool = False,
) -> Record:
    if record["status"]["id"] == "VOID":
        raise invalid(("base", "A void invoice cannot be edited"))
    updated = dict(record)
    if "contact_id" in data:
        contact = _contact_for(biz, kind, data["contact_id"])
        updated.update(
            contact=link(contact),
            contact_name=contact["name"],
            contact_reference=contact["reference"],
        )
    if "date" in data:
        updated["date"] = parse_date(data["date"], "date").isoformat()
    if "due_date" in data:
        updated["due_date"] = parse_date(data["due_date"], "due_date").isoformat()
    if updated["due_date"] < updated["date"]:
        raise invalid(("due_date", "must be on or after the invoice date"))
    for key in (
        "reference",
        "notes",
        "terms_and_conditions",
        "vendor_reference",
        "contact_name",
        "contact_reference",
    ):
        if key in data and key in updated:
            updated[key] = text(data[key])
    if kind is SALES:
        for key, default_type in (("main_address", "ACCOUNTS"), ("delivery_address", "DELIVERY")):
            address = _invoice_address(biz, data, key, default_type)
            if address is not None:
                updated[key] = address
                updated[f"{key}_free_form"] = address["displayed_as"]
    if "currency_id" in data or "exchange_rate" in data:
        currency = biz.find("currencies", data.get("currency_id") or "GBP", "currency_id")
        rate = _exchange_rate(biz, data, currency["id"])
        updated.update(
            currency=link(currency),
            exchange_rate=money_text(rate),
            inverse_exchange_rate=money_text(_inverse(rate)),
        )
    if "invoice_lines" in data:
        # Simplification: the lines sent replace the invoice's lines as a whole.
        lines, totals, analysis = _lines(biz, data["invoice_lines"], purchase=kind is PURCHASES)
        _line_flags(kind, data, lines)
        if check_amounts:
            _check_amounts(data, lines, totals)
        if Decimal(record["total_paid"]) > totals["total"]:
            raise invalid(("invoice_lines", "total is less than the amount already paid"))
        _set_amounts(updated, lines, totals, analysis)
        _settle(updated)
    if check_amounts and "invoice_lines" not in data:
        held = {k: Decimal(record[v]) for k, v in _HEADER_TOTALS.items()}
        _check_amounts(data, [], held)
    _in_base_currency(updated)
    if kind is PURCHASES and "vendor_reference" in data:
        updated["displayed_as"] = updated["vendor_reference"] or updated["reference"]
    updated["updated_at"] = biz.clock.stamp()
    return biz.save(kind.collection, updated)


def _settle(record: Record) -> None:
    """Derive the payment status from what has been paid, as Sage does after each allocation."""
    if record["status"]["id"] in {*NOT_ISSUED, "VOID"}:
        return
    # A settlement discount clears the invoice as a payment does, without money ([G-pay]).
    paid = Decimal(record["total_paid"]) + Decimal(
        record.get("payments_allocations_total_discount") or 0
    )
    total = Decimal(record["total_amount"])
    status = "UNPAID" if paid == 0 else "PAID" if paid >= total else "PART_PAID"
    record["status"] = _status(status)
    record["outstanding_amount"] = money_text(total - paid)
    rate = Decimal(record.get("exchange_rate") or 1)
    record["base_currency_outstanding_amount"] = money_text(_round((total - paid) / rate))


def release_invoice(biz: Business, kind: _Kind, record: Record) -> Record:
    """[G-inv]: release turns DRAFT or PRO_FORMA into UNPAID; only then does the invoice get
    its number (last + 1) and a transaction."""
    if record["status"]["id"] not in NOT_ISSUED:
        raise invalid(("status", "Only draft or pro-forma invoices can be released"))
    updated = dict(record, status=_status("UNPAID"), updated_at=biz.clock.stamp())
    if kind.number_prefix:
        prefix = record.get("invoice_number_prefix") or number_prefix(biz, kind)
        number = f"{prefix}{biz.next_number(kind.collection)}"
        updated.update(invoice_number=number, displayed_as=number)
    updated["transaction"] = _transaction(biz, updated["displayed_as"])
    return biz.save(kind.collection, updated)


def void_sales_invoice(biz: Business, record: Record, void_reason: str) -> Record:
    status = record["status"]["id"]
    if status == "DRAFT":
        biz.remove(SALES.collection, record["id"])
        return record
    if status == "VOID":
        raise invalid(("base", "The invoice is already void"))
    if not void_reason:
        raise invalid(("void_reason", "can't be blank"))
    if Decimal(record["total_paid"]) != 0:
        raise invalid(("base", "An invoice with payments allocated cannot be voided"))
    updated = dict(record)
    updated.update(
        status=_status("VOID"),
        void_reason=void_reason,
        editable=False,
        outstanding_amount="0.0",
        base_currency_outstanding_amount="0.0",
        updated_at=biz.clock.stamp(),
    )
    return biz.save(SALES.collection, updated)


def delete_purchase_invoice(biz: Business, record: Record) -> None:
    if Decimal(record["total_paid"]) != 0:
        raise invalid(("base", "An invoice with payments allocated cannot be deleted"))
    biz.remove(PURCHASES.collection, record["id"])


# ---------------------------------------------------------------------------------------------
# Balances: what the invoices and payments the sandbox holds add up to


def _issued(record: Record) -> bool:
    return record["status"]["id"] not in {*NOT_ISSUED, "VOID"}


class Posting(NamedTuple):
    """One line of the double entry: what ``/ledger_entries`` lists and ``ledger_totals`` sums."""

    date: str
    account: str
    debit: Decimal
    credit: Decimal
    #: The record that posted it (an invoice, a journal, a payment...).
    source: Record
    #: Its transaction stub (``{id, displayed_as, $path}``), None where Sage's is not simulated.
    transaction: Record | None
    #: ``/transaction_types`` id: SALES_INVOICE, JOURNAL, CUSTOMER_RECEIPT...
    transaction_type: str
    details: str = ""


def entries(biz: Business) -> list[Posting]:
    """Every posting of every issued invoice, payment and registered resource (``ledger``).

    The double entry Sage's guides describe for invoices in base currency: a sales invoice
    debits Trade Debtors (1100) with its total and credits each line's account with its net
    and Sales Tax Control (2200) with its VAT; a purchase invoice the reverse, through Trade
    Creditors (2100) and Purchase Tax Control (2201). Payments post through their resource's
    ``ledger`` (``sandbox/_payments.py``). Drafts, pro-formas and void
    invoices post nothing ([G-inv]: no transaction). Which accounts Sage uses is inferred from
    the seed's control accounts. Resources registered with a ``ledger`` (journals, ...) add
    their own postings.
    """
    from sage_accounting.sandbox._registry import RESOURCES  # the registry imports this module

    code = biz.nominal_codes.get
    out: list[Posting] = []
    zero = Decimal(0)

    def post(
        day: str,
        account: str | None,
        amount: Decimal,
        debit: bool,
        source: Record,
        kind: str,
        details: str = "",
        transaction: Record | None = None,
    ) -> None:
        if account is not None and amount:
            debits, credits = (amount, zero) if debit else (zero, amount)
            out.append(Posting(day, account, debits, credits, source, transaction, kind, details))

    for kind, control, tax_account in (
        (SALES, code(1100), code(2200)),
        (PURCHASES, code(2100), code(2201)),
    ):
        sale = kind is SALES
        for record in biz.collection(kind.collection).records.values():
            if not _issued(record):
                continue
            day, made, link_ = record["date"], kind.transaction_type[0], record.get("transaction")
            total = Decimal(record["base_currency_total_amount"])
            post(day, control, total, sale, record, made, record["displayed_as"], link_)
            tax = Decimal(record["base_currency_tax_amount"])
            post(day, tax_account, tax, not sale, record, made, record["displayed_as"], link_)
            for line in record["invoice_lines"]:
                net = Decimal(line["base_currency_net_amount"])
                account = line["ledger_account"]["id"]
                post(day, account, net, not sale, record, made, line.get("description", ""), link_)
    for resource in RESOURCES.values():
        if resource.ledger is not None:
            out.extend(resource.ledger(biz))
    return out


def postings(biz: Business) -> list[tuple[str, str, Decimal, Decimal]]:
    """(date, ledger account id, debit, credit) of every posting (see :func:`entries`)."""
    return [(p.date, p.account, p.debit, p.credit) for p in entries(biz)]


def ledger_totals(
    biz: Business, from_date: str | None, to_date: str | None
) -> dict[str, tuple[Decimal, Decimal]]:
    """Debits and credits per ledger account, dated within ``from_date``..``to_date``."""
    totals: dict[str, tuple[Decimal, Decimal]] = {}
    for day, account, debit, credit in postings(biz):
        if (from_date and day < from_date) or (to_date and day > to_date):
            continue
        debits, credits = totals.get(account, (Decimal(0), Decimal(0)))
        totals[account] = (debits + debit, credits + credit)
    return totals


def balance_details(
    totals: Mapping[str, tuple[Decimal, Decimal]],
    account_id: str,
    from_date: str | None,
    to_date: str | None,
) -> dict[str, Any]:
    """``balance_details`` in the shape of journals__post_201__sage-guide-journals.json:
    balance is the difference, ``credit_or_debit`` its side, the dates echo the filter."""
    debits, credits = totals.get(account_id, (Decimal(0), Decimal(0)))
    return {
        "balance": money_text(abs(debits - credits)),
        "credit_or_debit": "debit" if debits >= credits else "credit",
        "credits": money_text(credits),
        "debits": money_text(debits),
        "from_date": from_date,
        "to_date": to_date,
    }


def contact_balances(biz: Business) -> dict[str, Decimal]:
    """What each contact's issued invoices still have outstanding, less what its credit notes
    and payments on account have outstanding, in base currency (Contact ``balance``, "the
    contact balance"; the sign for suppliers is unknown: shown positive)."""
    balances: dict[str, Decimal] = {}
    for kind in (SALES, PURCHASES):
        for record in biz.collection(kind.collection).records.values():
            if _issued(record):
                key = record["contact"]["id"]
                outstanding = Decimal(record["base_currency_outstanding_amount"])
                balances[key] = balances.get(key, Decimal(0)) + outstanding
    # Credit notes and payments on account lower it (registered resources' ``owed``).
    from sage_accounting.sandbox._registry import RESOURCES  # the registry imports this module

    for resource in RESOURCES.values():
        for key, amount in resource.owed(biz) if resource.owed is not None else ():
            balances[key] = balances.get(key, Decimal(0)) + amount
    return balances


# ---------------------------------------------------------------------------------------------
# Filtering and sorting lists


def _has(haystack: Any, needle: str) -> bool:
    return isinstance(haystack, str) and needle in haystack.lower()


def _contact_matches(record: Record, q: Mapping[str, str]) -> bool:
    wanted = q.get("contact_type_id") or q.get("contact_type_ids")
    if wanted:
        types = {t["id"] for t in record["contact_types"]}
        if not types.intersection(w.strip() for w in wanted.split(",")):
            return False
    if q.get("exclude_system") == "true" and record.get("system"):
        return False
    if q.get("filter_inactive_contacts") == "true" and not record.get("is_active", True):
        return False
    if "email" in q and record.get("email", "").lower() != q["email"].lower():
        return False
    search = q.get("search", "").lower()
    return not search or any(_has(record.get(k), search) for k in ("name", "reference", "email"))


def _invoice_matches(record: Record, q: Mapping[str, str]) -> bool:
    if "contact_id" in q and record["contact"]["id"] != q["contact_id"]:
        return False
    if "status_id" in q and record["status"]["id"] not in q["status_id"].split(","):
        return False
    if "from_date" in q and record["date"] < q["from_date"]:
        return False
    if "to_date" in q and record["date"] > q["to_date"]:
        return False
    search = q.get("search", "").lower()
    return not search or any(
        _has(record.get(k), search)
        for k in ("invoice_number", "reference", "vendor_reference", "contact_name", "displayed_as")
    )


def _ledger_matches(record: Record, q: Mapping[str, str]) -> bool:
    if "ledger_account_type_id" in q and record["ledger_account_type"]["id"] not in q[
        "ledger_account_type_id"
    ].split(","):
        return False
    if "visible_in" in q and q["visible_in"] not in record["visible_scopes"]:
        return False
    if "not_visible_in" in q and q["not_visible_in"] in record["visible_scopes"]:
        return False
    if q.get("show_included_in_chart") == "true" and not record["included_in_chart"]:
        return False
    if q.get("show_control_accounts") == "false" and record["is_control_account"]:
        return False
    search = q.get("search", "").lower()
    return not search or any(
        _has(record.get(k), search) for k in ("name", "display_name", "displayed_as")
    )


def _parent_matches(record: Record, q: Mapping[str, str]) -> bool:
    if "contact_id" in q and record.get("contact", {}).get("id") != q["contact_id"]:
        return False
    return "address_id" not in q or record.get("address", {}).get("id") == q["address_id"]


def _person_matches(biz: Business) -> Callable[[Record, Mapping[str, str]], bool]:
    def matches(record: Record, q: Mapping[str, str]) -> bool:
        if "address_id" in q and record["address"]["id"] != q["address_id"]:
            return False
        if "contact_id" in q:
            address = biz.collection("addresses").get(record["address"]["id"])
            return address is not None and address["contact"]["id"] == q["contact_id"]
        return True

    return matches


def _ledger_type_matches(record: Record, q: Mapping[str, str]) -> bool:
    wanted = q.get("ledger_account_classification_id")
    return not wanted or record.get("_classification") == wanted


#: resource -> (filter params, matcher factory)
FILTERS: dict[
    str, tuple[frozenset[str], Callable[[Business], Callable[[Record, Mapping[str, str]], bool]]]
] = {
    "contacts": (
        frozenset(
            {
                "contact_type_id",
                "contact_type_ids",
                "exclude_system",
                "email",
                "search",
                "filter_inactive_contacts",
            }
        ),
        lambda biz: _contact_matches,
    ),
    "sales_invoices": (
        frozenset({"contact_id", "status_id", "from_date", "to_date", "search"}),
        lambda biz: _invoice_matches,
    ),
    "purchase_invoices": (
        frozenset({"contact_id", "status_id", "from_date", "to_date", "search"}),
        lambda biz: _invoice_matches,
    ),
    "ledger_accounts": (
        frozenset(
            {
                "ledger_account_type_id",
                "visible_in",
                "not_visible_in",
                "show_included_in_chart",
                "show_control_accounts",
                "search",
            }
        ),
        lambda biz: _ledger_matches,
    ),
    "addresses": (frozenset({"contact_id"}), lambda biz: _parent_matches),
    "contact_persons": (frozenset({"contact_id", "address_id"}), _person_matches),
    "ledger_account_types": (
        frozenset({"ledger_account_classification_id"}),
        lambda biz: _ledger_type_matches,
    ),
}

#: resource -> fields ``sort`` may name; the default order is noted beside each.
SORTABLE: dict[str, frozenset[str]] = {
    "sales_invoices": frozenset(
        {
            "date",
            "due_date",
            "created_at",
            "updated_at",
            "invoice_number",
            "total_amount",
            "contact_name",
        }
    ),
    "purchase_invoices": frozenset(
        {"date", "due_date", "created_at", "updated_at", "total_amount", "contact_name"}
    ),
}


def sort_key(field_name: str) -> Callable[[Record], Any]:
    if field_name in {"total_amount", "net_amount", "outstanding_amount"}:
        return lambda record: Decimal(record[field_name])
    if field_name == "invoice_number":
        # SI-10 after SI-9: compare the number, not the text.
        return lambda record: (len(record[field_name]), record[field_name])
    return lambda record: record.get(field_name) or ""


def default_order(name: str) -> Callable[[Record], Any] | None:
    """Sage lists contacts by name and ledger accounts by nominal code; others stay in order."""
    if name == "contacts":
        return lambda record: (record["name"].lower(), record["created_at"])
    if name == "ledger_accounts":
        return lambda record: record["nominal_code"]
    return None
