"""Products, services, stock items and movements, price and rate types, as Sage keeps them.

Sources: the swagger's postProducts/putProducts, postServices, postStockItems,
postStockMovements, postProductSalesPriceTypes and postServiceRateTypes schemas and the
StockItem/StockMovement definitions [S1]; the split spec's examples of /products, /services,
/stock_items, /stock_movements, /product_sales_price_types, /service_rate_types and
/catalog_item_types [S2]; products__get_one__sage-swagger-2025-example.json (a price for every
price type) and products__list_default__sage-guide-inventory.json ("stock items also appear in
/products"). What is inferred says so; docs/sandbox-fidelity.md lists it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sage_accounting.sandbox._registry import Resource, register
from sage_accounting.sandbox._resources import (
    Business,
    SageError,
    invalid,
    link,
    money_text,
    parse_date,
    parse_decimal,
    text,
)
from sage_accounting.sandbox._store import Record

Data = Mapping[str, Any]
ZERO = Decimal(0)

PRODUCTS, SERVICES, STOCK_ITEMS = "products", "services", "stock_items"
MOVEMENTS = "stock_movements"
PRICE_TYPES, RATE_TYPES = "product_sales_price_types", "service_rate_types"
#: Collections whose item codes share one space. Inferred: Sage's catalogue is one list in its
#: UI and nothing documents duplicates; the pack finds an item again by its code, so the
#: sandbox keeps codes unique (case-insensitive) rather than let a find return two.
_CODED = (PRODUCTS, SERVICES, STOCK_ITEMS)


def _stub(collection: str, key: str, shown: str) -> Record:
    return {"id": key, "displayed_as": shown, "$path": f"/{collection}/{key}"}


#: [S2] /catalog_item_types example.
_NON_STOCK = _stub("catalog_item_types", "PRODUCT", "Non-stock")
_STOCK = _stub("catalog_item_types", "STOCK_ITEM", "Stock")

# --- What each write acts on (strict mode refuses anything else) -------------------------------

_ITEM_IN: dict[str, Any] = dict.fromkeys(
    (
        "description",
        "sales_ledger_account_id",
        "purchase_ledger_account_id",
        "item_code",
        "notes",
        "sales_tax_rate_id",
        "purchase_tax_rate_id",
        "usual_supplier_id",
        "cost_price",
        "source_guid",
        "purchase_description",
        "active",
    )
)
_PRICE_IN = dict.fromkeys(
    ("price_name", "price", "price_includes_tax", "product_sales_price_type_id")
)
_RATE_IN = dict.fromkeys(("rate_name", "rate", "rate_includes_tax", "service_rate_type_id"))
PRODUCT_IN = {**_ITEM_IN, "sales_prices": [_PRICE_IN]}
SERVICE_IN = {**_ITEM_IN, "oss_service": None, "sales_rates": [_RATE_IN]}
#: postStockItems' own fields that the sandbox keeps as given (money as decimals).
_STOCK_MONEY = ("reorder_level", "reorder_quantity", "weight")
_STOCK_TEXT = ("location", "barcode", "supplier_part_number", "measurement_unit")
#: What a stock item shows that the Product schema has no field for: left out of /products.
_STOCK_ONLY_OUT = frozenset(
    {
        *_STOCK_MONEY,
        *_STOCK_TEXT,
        "quantity_in_stock",
        "last_cost_price",
        "last_cost_price_stock_value",
        "average_cost_price",
        "average_cost_price_stock_value",
        "cost_price_last_updated",
        "_in_quantity",
        "_in_value",
    }
)
STOCK_IN = {
    **PRODUCT_IN,
    **dict.fromkeys((*_STOCK_MONEY, *_STOCK_TEXT)),
    "quantity_in_stock": None,
}
MOVEMENT_IN = dict.fromkeys(
    ("stock_item_id", "date", "quantity", "cost_price", "details", "movement_number", "reference")
)
TYPE_IN = dict.fromkeys(("name", "active"))


def collect(problems: list[tuple[str, str]], make: Callable[..., Any], *args: Any) -> Any:
    """``make(*args)``, or None with its 422 problems added: a write reports every bad field."""
    try:
        return make(*args)
    except SageError as error:
        problems.extend((source, message) for _, message, source in error.problems)
        return None


def _in_use(what: str) -> SageError:
    # The one recorded refusal to delete a record in use is a 405 MethodNotAllowed
    # (errors__405_method_not_allowed_category_in_use__sage-guide-analysis-types.json); the
    # same answer for the catalogue is inferred.
    return SageError(
        405, [("MethodNotAllowed", f"The {what} is in use and cannot be deleted.", "")]
    )


# --- Prices and rates: one per price (rate) type -----------------------------------------------


@dataclass(frozen=True)
class _Tiers:
    """A product's ``sales_prices`` or a service's ``sales_rates`` (the same shape, renamed)."""

    key: str
    types: str
    type_field: str
    word: str


PRICES = _Tiers("sales_prices", PRICE_TYPES, "product_sales_price_type", "price")
RATES = _Tiers("sales_rates", RATE_TYPES, "service_rate_type", "rate")


def _tiers(biz: Business, tiers: _Tiers, raw: Any, current: list[Record] | None) -> list[Record]:
    """The item's prices after a write: one per price type, in the types' order.

    A new item gets a price for every active type, 0.0 unless given: Sage's product example has
    three prices, two of them 0.0 (products__get_one sample). Entries sent replace their type's
    price; the others stay. A type sent twice is refused (inferred).
    """
    now = biz.clock.stamp()
    types = biz.collection(tiers.types)
    kept: dict[str, Record] = {}
    if current is None:
        for kind in types:
            if kind["active"]:
                kept[kind["id"]] = _tier(biz, tiers, kind, {}, None, now)
    else:
        kept = {entry[tiers.type_field]["id"]: entry for entry in current}
    if raw is None:
        return _ordered(tiers, types, kept)
    if not isinstance(raw, list):
        raise invalid((tiers.key, "is invalid"))
    problems: list[tuple[str, str]] = []
    sent: set[str] = set()
    type_key = f"{tiers.type_field}_id"
    for index, entry in enumerate(raw):
        where = f"{tiers.key}[{index}]"
        if not isinstance(entry, Mapping):
            problems.append((where, "is invalid"))
            continue
        kind = collect(problems, biz.find, tiers.types, entry.get(type_key), f"{where}.{type_key}")
        if kind is None:
            continue
        if kind["id"] in sent:
            problems.append((f"{where}.{type_key}", "has already been taken"))
            continue
        sent.add(kind["id"])
        made = collect(problems, _tier, biz, tiers, kind, entry, kept.get(kind["id"]), now)
        if made is not None:
            kept[kind["id"]] = made
    if problems:
        raise invalid(*problems)
    return _ordered(tiers, types, kept)


def _tier(
    biz: Business, tiers: _Tiers, kind: Record, entry: Data, old: Record | None, now: str
) -> Record:
    word = tiers.word
    amount = (
        parse_decimal(entry[word], f"{tiers.key}.{word}")
        if entry.get(word) is not None
        else Decimal(old[word])
        if old
        else ZERO
    )
    name = text(entry.get(f"{word}_name")) or (old or {}).get(f"{word}_name") or kind["name"]
    includes = entry.get(f"{word}_includes_tax")
    return {
        "id": old["id"] if old else biz.new_id(),
        "displayed_as": name,
        "created_at": old["created_at"] if old else now,
        "updated_at": now,
        f"{word}_name": name,
        word: money_text(amount),
        f"{word}_includes_tax": (
            includes is True if includes is not None else bool(old and old[f"{word}_includes_tax"])
        ),
        tiers.type_field: link(kind),
    }


def _ordered(tiers: _Tiers, types: Any, kept: dict[str, Record]) -> list[Record]:
    order = {key: index for index, key in enumerate(types.records)}
    return sorted(kept.values(), key=lambda entry: order.get(entry[tiers.type_field]["id"], 0))


# --- Products, services and stock items ---------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    collection: str
    #: postProducts and postStockItems require the purchase ledger account; postServices not.
    purchase_required: bool
    tiers: _Tiers


_PRODUCT = _Kind(PRODUCTS, True, PRICES)
_SERVICE = _Kind(SERVICES, False, RATES)
_STOCK_ITEM = _Kind(STOCK_ITEMS, True, PRICES)


def _code_taken(biz: Business, code: str, own: str) -> bool:
    wanted = code.casefold()
    return any(
        record["id"] != own and str(record.get("item_code") or "").casefold() == wanted
        for name in _CODED
        for record in biz.collection(name)
    )


def _supplier(biz: Business, key: Any) -> Record:
    contact = biz.find("contacts", key, "usual_supplier_id")
    if not any(t["id"] == "VENDOR" for t in contact.get("contact_types", [])):
        raise invalid(("usual_supplier_id", "is not a supplier"))
    # Sage links the usual supplier under /usual_suppliers (products__get_one sample).
    return _stub("usual_suppliers", contact["id"], contact["displayed_as"])


def _save_item(biz: Business, kind: _Kind, data: Data, current: Record | None) -> Record:
    """Create (``current`` None) or update a product, service or stock item from ``data``."""
    record = dict(current) if current is not None else biz.stamped(kind.collection, "")
    problems: list[tuple[str, str]] = []
    new = current is None

    def wants(name: str) -> bool:
        return new or name in data

    if wants("description"):
        record["description"] = text(data.get("description"))
        if not record["description"]:
            problems.append(("description", "can't be blank"))
    if wants("item_code"):
        code = text(data.get("item_code"))
        if not code and kind is _STOCK_ITEM:  # postStockItems requires item_code [S1]
            problems.append(("item_code", "can't be blank"))
        elif code and _code_taken(biz, code, record["id"]):
            problems.append(("item_code", "has already been taken"))
        record["item_code"] = code or None
    for side, required in (("sales", True), ("purchase", kind.purchase_required)):
        field = f"{side}_ledger_account_id"
        if not wants(field):
            continue
        if data.get(field) in (None, "") and not required:
            record[f"{side}_ledger_account"] = None
            continue
        account = collect(problems, biz.find, "ledger_accounts", data.get(field), field)
        record[f"{side}_ledger_account"] = link(account) if account else None
        rate_field = f"{side}_tax_rate_id"
        if new and not data.get(rate_field) and account is not None:
            # Inferred: an item without a tax rate takes its ledger account's default.
            record[f"{side}_tax_rate"] = account["tax_rate"]
    for side in ("sales", "purchase"):
        field = f"{side}_tax_rate_id"
        if field in data:
            rate = collect(problems, biz.find, "tax_rates", data.get(field), field)
            record[f"{side}_tax_rate"] = link(rate) if rate else None
        elif new:
            record.setdefault(f"{side}_tax_rate", None)
    if wants("usual_supplier_id"):
        key = data.get("usual_supplier_id")
        record["usual_supplier"] = (
            collect(problems, _supplier, biz, key) if key not in (None, "") else None
        )
    if wants("cost_price"):
        raw = data.get("cost_price")
        cost = collect(problems, parse_decimal, raw, "cost_price") if raw is not None else ZERO
        record["cost_price"] = money_text(cost or ZERO)
    # An omitted note or purchase description is "" and a source guid null, as recorded
    # (products__list_paged_attributes_all__ledgerscope-SageOneApi.json).
    for name in ("notes", "purchase_description"):
        if wants(name):
            record[name] = text(data.get(name))
    if wants("source_guid"):
        record["source_guid"] = text(data.get("source_guid")) or None
    if wants("active"):
        record["active"] = data.get("active") is not False
    if kind is _SERVICE and wants("oss_service"):
        record["oss_service"] = data.get("oss_service") is True
    if kind is _STOCK_ITEM:
        _stock_fields(record, data, new, problems)
    if kind.tiers.key in data or new:
        tiers = collect(
            problems,
            lambda: _tiers(biz, kind.tiers, data.get(kind.tiers.key), record.get(kind.tiers.key)),
        )
        if tiers is not None:
            record[kind.tiers.key] = tiers
    if problems:
        raise invalid(*problems)
    record["displayed_as"] = record["description"]
    if new:
        record.update(links=[], deletable=True, deactivatable=True, used_on_recurring_invoice=False)
        if kind is _PRODUCT:
            record["catalog_item_type"] = _NON_STOCK
    else:
        record["updated_at"] = biz.clock.stamp()
    return _store_item(biz, kind, record)


def _stock_fields(record: Record, data: Data, new: bool, problems: list[tuple[str, str]]) -> None:
    for name in _STOCK_MONEY:
        if new or name in data:
            raw = data.get(name)
            amount = collect(problems, parse_decimal, raw, name) if raw is not None else ZERO
            record[name] = money_text(amount or ZERO)
    for name in _STOCK_TEXT:
        if new or name in data:
            record[name] = text(data.get(name))
    if new:
        record.update(
            quantity_in_stock="0.0",
            last_cost_price=record.get("cost_price", "0.0"),
            average_cost_price=record.get("cost_price", "0.0"),
            last_cost_price_stock_value="0.0",
            average_cost_price_stock_value="0.0",
            cost_price_last_updated=None,
            _in_quantity="0",
            _in_value="0",
        )


def _store_item(biz: Business, kind: _Kind, record: Record) -> Record:
    saved = biz.save(kind.collection, record)
    if kind is _STOCK_ITEM:
        # products__list_default__sage-guide-inventory.json: "Stock Item One" is listed, with a
        # /products path, among the products; so a stock item is readable there too.
        shown = {k: v for k, v in record.items() if k not in _STOCK_ONLY_OUT}
        shown.update({"$path": f"/products/{record['id']}", "catalog_item_type": _STOCK})
        biz.save(PRODUCTS, shown)
    return saved


def _create_stock_item(biz: Business, data: Data) -> Record:
    opening = data.get("quantity_in_stock")
    quantity = parse_decimal(opening, "quantity_in_stock") if opening is not None else ZERO
    item = _save_item(biz, _STOCK_ITEM, data, None)
    if quantity:
        # [S2]'s /stock_movements example lists an "Opening Balance" movement: the opening stock
        # is one movement, so the stock item's history explains its quantity (inferred).
        cost = item["cost_price"]
        day = biz.clock.now().date().isoformat()
        _create_movement(
            biz,
            {
                "stock_item_id": item["id"],
                "date": day,
                "quantity": str(quantity),
                "cost_price": cost,
                "details": "Opening Balance",
            },
        )
        item = biz.collection(STOCK_ITEMS).records[item["id"]]
    return item


def _update_product(biz: Business, record: Record, data: Data) -> Record:
    if record.get("catalog_item_type", {}).get("id") == "STOCK_ITEM":
        # A stock item reached through /products: the stock item is what changes.
        item = biz.collection(STOCK_ITEMS).records[record["id"]]
        _save_item(biz, _STOCK_ITEM, data, item)
        return biz.collection(PRODUCTS).records[record["id"]]
    return _save_item(biz, _PRODUCT, data, record)


def used_items(biz: Business) -> set[str]:
    """Ids of the products, services and stock items some line names: an invoice's, a credit
    note's, a quote's (every ``*_lines`` of every record; invoice lines link them through
    ``product_id``/``service_id``, postSalesInvoices)."""
    used: set[str] = set()
    for collection in biz.collections.values():
        first = next(iter(collection.records.values()), None)
        if first is None or not any(name.endswith("_lines") for name in first):
            continue  # contacts, ledger accounts...: no lines to read (100,000 contacts cost 0)
        for record in collection:
            for name, lines in record.items():
                if not name.endswith("_lines") or not isinstance(lines, list):
                    continue
                for line in lines:
                    for kind in ("product", "service"):
                        named = line.get(kind) if isinstance(line, Mapping) else None
                        if isinstance(named, Mapping):
                            used.add(str(named["id"]))
    return used


def _usage(biz: Business) -> Callable[[Record], Record]:
    """``deletable`` is false for an item some line names: the products__get_one sample's
    product, used on transactions, shows ``deletable: false``; Sage keeps such items."""
    used = used_items(biz)

    def view(item: Record) -> Record:
        return {**item, "deletable": False} if "deletable" in item and item["id"] in used else item

    return view


def _delete_item(collection: str) -> Callable[[Business, Record, Mapping[str, str]], None]:
    def delete(biz: Business, record: Record, query: Mapping[str, str]) -> None:
        key = record["id"]
        if key in used_items(biz):
            raise _in_use(collection[:-1].replace("_", " "))
        stock = (
            collection == STOCK_ITEMS
            or record.get("catalog_item_type", {}).get("id") == "STOCK_ITEM"
        )
        if stock and biz.collection(STOCK_ITEMS).records[key].get("deletable") is False:
            raise _in_use("stock item")
        biz.remove(collection, key)
        if stock:
            biz.remove(STOCK_ITEMS if collection == PRODUCTS else PRODUCTS, key)

    return delete


# --- Stock movements ------------------------------------------------------------------------------


def _moved(biz: Business, key: str, quantity: Decimal, cost: Decimal, day: str, sign: int) -> None:
    """Apply (``sign`` 1) or take back (-1) a movement on its stock item.

    The quantity in stock follows the movements (StockItem.quantity_in_stock, "the current
    quantity of the stock item held"). An incoming movement sets the last cost price ("the most
    recent 'purchase invoice' or 'adjustment in' price") and feeds the average cost ("the
    average price across all purchases"); the stock values are the quantity at those prices.
    """
    item = dict(biz.collection(STOCK_ITEMS).records[key])
    held = Decimal(item["quantity_in_stock"]) + sign * quantity
    if quantity > 0:
        in_quantity = Decimal(item["_in_quantity"]) + sign * quantity
        in_value = Decimal(item["_in_value"]) + sign * quantity * cost
        item["_in_quantity"], item["_in_value"] = str(in_quantity), str(in_value)
        if in_quantity > 0:
            item["average_cost_price"] = money_text(
                (in_value / in_quantity).quantize(Decimal("0.01"))
            )
        if sign > 0:
            item["last_cost_price"] = money_text(cost)
            item["cost_price_last_updated"] = day
    item["quantity_in_stock"] = money_text(held)
    item["last_cost_price_stock_value"] = money_text(held * Decimal(item["last_cost_price"]))
    item["average_cost_price_stock_value"] = money_text(
        (held * Decimal(item["average_cost_price"])).quantize(Decimal("0.01"))
    )
    # An item with movements is kept (the recorded stock item with movements is not deletable).
    item["deletable"] = not any(m["stock_item"]["id"] == key for m in biz.collection(MOVEMENTS))
    item["updated_at"] = biz.clock.stamp()
    _store_item(biz, _STOCK_ITEM, item)


def _movement_values(biz: Business, data: Data, current: Record | None) -> dict[str, Any]:
    problems: list[tuple[str, str]] = []
    old = current or {}

    key = data.get("stock_item_id", old.get("stock_item", {}).get("id"))
    item = collect(problems, biz.find, STOCK_ITEMS, key, "stock_item_id")
    day = collect(problems, parse_date, data.get("date", old.get("date")), "date")
    quantity = collect(
        problems, lambda: parse_decimal(data.get("quantity", old.get("quantity")), "quantity")
    )
    if quantity == 0:
        problems.append(("quantity", "must not be zero"))  # inferred: a movement moves stock
    cost = collect(
        problems, lambda: parse_decimal(data.get("cost_price", old.get("cost_price")), "cost_price")
    )
    if cost is not None and cost < 0:
        problems.append(("cost_price", "must be greater than or equal to 0"))  # inferred
    details = text(data.get("details", old.get("details")))
    if not details:
        problems.append(("details", "can't be blank"))
    if problems:
        raise invalid(*problems)
    return {
        "item": item,
        "date": day.isoformat(),
        "quantity": quantity,
        "cost": cost,
        "details": details,
    }


def _create_movement(biz: Business, data: Data) -> Record:
    values = _movement_values(biz, data, None)
    record = biz.stamped(MOVEMENTS, values["details"])
    number = text(data.get("movement_number"))
    record.update(
        {
            # An integer when Sage numbers it ([S2]'s example shows 8, the schema says string).
            "movement_number": number or biz.next_number(MOVEMENTS),
            "date": values["date"],
            "cost_price": money_text(values["cost"]),
            "quantity": money_text(values["quantity"]),
            "details": values["details"],
            "reference": text(data.get("reference")),
            "stock_item": link(values["item"]),
        }
    )
    biz.save(MOVEMENTS, record)
    _moved(biz, values["item"]["id"], values["quantity"], values["cost"], values["date"], 1)
    return record


def _undo(biz: Business, record: Record) -> None:
    _moved(
        biz,
        record["stock_item"]["id"],
        Decimal(record["quantity"]),
        Decimal(record["cost_price"]),
        record["date"],
        -1,
    )


def _update_movement(biz: Business, record: Record, data: Data) -> Record:
    values = _movement_values(biz, data, record)
    updated = {
        **record,
        "displayed_as": values["details"],
        "date": values["date"],
        "cost_price": money_text(values["cost"]),
        "quantity": money_text(values["quantity"]),
        "details": values["details"],
        "stock_item": link(values["item"]),
        "updated_at": biz.clock.stamp(),
    }
    for name in ("movement_number", "reference"):
        if name in data:
            updated[name] = text(data[name]) or record[name]
    biz.save(MOVEMENTS, updated)
    _undo(biz, record)
    _moved(biz, values["item"]["id"], values["quantity"], values["cost"], values["date"], 1)
    return updated


def _delete_movement(biz: Business, record: Record, query: Mapping[str, str]) -> None:
    biz.remove(MOVEMENTS, record["id"])
    _undo(biz, record)


# --- Price and rate types -----------------------------------------------------------------------


TypeWriter = Callable[[Business, Record | None, Data], Record]


def _type_writer(collection: str, key: str | None = None) -> TypeWriter:
    """Writes a price or rate type; ``key`` fixes a new one's id (the seed's SALES_PRICE)."""

    def write(biz: Business, current: Record | None, data: Data) -> Record:
        problems: list[tuple[str, str]] = []
        record = dict(current) if current is not None else biz.stamped(collection, "", key)
        if current is None or "name" in data:
            name = text(data.get("name"))
            taken = any(
                r["id"] != record["id"] and r["name"].casefold() == name.casefold()
                for r in biz.collection(collection)
            )
            if not name or taken:  # a duplicate name is refused (inferred)
                problems.append(("name", "has already been taken" if name else "can't be blank"))
            record["name"] = record["displayed_as"] = name
        if current is None or "active" in data:
            # postProductSalesPriceTypes and postServiceRateTypes require ``active`` [S1].
            if not isinstance(data.get("active"), bool):
                problems.append(
                    ("active", "can't be blank" if data.get("active") is None else "is invalid")
                )
            record["active"] = data.get("active") is True
        if problems:
            raise invalid(*problems)
        if current is not None:
            record["updated_at"] = biz.clock.stamp()
        return biz.save(collection, record)

    return write


def _delete_type(
    tiers: _Tiers, users: tuple[str, ...]
) -> Callable[[Business, Record, Mapping[str, str]], None]:
    def delete(biz: Business, record: Record, query: Mapping[str, str]) -> None:
        in_use = any(
            entry[tiers.type_field]["id"] == record["id"] and Decimal(entry[tiers.word]) != 0
            for name in users
            for item in biz.collection(name)
            for entry in item.get(tiers.key) or ()
        )
        if in_use:
            raise _in_use(tiers.type_field.replace("_", " "))
        biz.remove(tiers.types, record["id"])
        for name in users:  # its zero prices go with it
            for item in list(biz.collection(name)):
                kept = [
                    e
                    for e in item.get(tiers.key) or ()
                    if e[tiers.type_field]["id"] != record["id"]
                ]
                if len(kept) != len(item.get(tiers.key) or ()):
                    biz.save(name, {**item, tiers.key: kept})

    return delete


# --- List filters ---------------------------------------------------------------------------------


def _below_reorder(record: Record) -> bool:
    return Decimal(record["quantity_in_stock"]) < Decimal(record["reorder_level"])


_TESTS: dict[str, Callable[[Record, str], bool]] = {
    # "Use this to filter by the item code or description" (products, services, stock items);
    # "by the details" (stock movements).
    "search": lambda r, v: any(
        v.casefold() in str(r.get(f) or "").casefold()
        for f in ("item_code", "description", "details")
    ),
    "active": lambda r, v: r.get("active") is (v == "true"),
    "out_of_stock": lambda r, v: (Decimal(r["quantity_in_stock"]) <= 0) is (v == "true"),
    "below_reorder_level": lambda r, v: _below_reorder(r) is (v == "true"),
    "stock_item_id": lambda r, v: r["stock_item"]["id"] == v,
    "from_date": lambda r, v: r["date"] >= v,
    "to_date": lambda r, v: r["date"] <= v,
}


def _matches(biz: Business) -> Callable[[Record, Mapping[str, str]], bool]:
    def check(record: Record, query: Mapping[str, str]) -> bool:
        return all(_TESTS[k](record, v) for k, v in query.items() if k in _TESTS and v != "")

    return check


# --- Seed: a joinery shop's catalogue -----------------------------------------------------------

#: [S2]'s /product_sales_price_types example: Sales Price, Trade, Wholesale. The Sales Price
#: type keeps the id new contacts already point at (``SALES_PRICE``, in ``_resources``).
SEED_PRICE_TYPES = (("SALES_PRICE", "Sales Price"), (None, "Trade"), (None, "Wholesale"))
#: [S2]'s /service_rate_types example: one type, Rate.
SEED_RATE_TYPES = ("Rate",)
#: (item code, description, sales code, purchase code, cost, sales price, trade price)
SEED_PRODUCTS = (
    ("BRD-OAK-40", "Oak chopping board, 40 cm", 4000, 5000, "11.50", "24.00", "19.00"),
    ("STAIR-KIT", "Oak staircase kit", 4000, 5000, "1400.00", "2450.00", "2200.00"),
    ("WARD-UNIT", "Fitted wardrobe unit", 4000, 5000, "520.00", "899.50", "810.00"),
)
#: (item code, description, rate)
SEED_SERVICES = (
    ("INSTALL", "Installation, per hour", "45.00"),
    ("REPAIR", "Door repair, per hour", "40.00"),
    ("SURVEY", "Site survey", "120.00"),
)
#: (item code, description, cost, price, quantity, reorder level): one in stock, one below its
#: reorder level, one out of stock, so every stock filter has something to find.
SEED_STOCK = (
    ("HNG-BRASS", "Brass hinge, pair", "2.10", "4.50", "120", "40"),
    ("SCR-4X40", "Wood screws 4x40, box of 200", "3.20", "6.00", "15", "20"),
    ("OIL-DAN-1L", "Danish oil, 1 litre", "7.80", "14.99", "0", "5"),
)


def _seed(biz: Business, index: int) -> None:
    price_types = [
        _type_writer(PRICE_TYPES, key)(biz, None, {"name": name, "active": True})
        for key, name in SEED_PRICE_TYPES
    ]
    rate_types = [
        _type_writer(RATE_TYPES)(biz, None, {"name": name, "active": True})
        for name in SEED_RATE_TYPES
    ]
    if index != 0:
        return
    code = biz.nominal_codes
    supplier = biz.references.get("OAK001")
    for item_code, description, sales, purchase, cost, price, trade in SEED_PRODUCTS:
        prices = [
            {"product_sales_price_type_id": price_types[0]["id"], "price": price},
            {"product_sales_price_type_id": price_types[1]["id"], "price": trade},
        ]
        _save_item(
            biz,
            _PRODUCT,
            {
                "item_code": item_code,
                "description": description,
                "sales_ledger_account_id": code[sales],
                "purchase_ledger_account_id": code[purchase],
                "cost_price": cost,
                "usual_supplier_id": supplier,
                "sales_prices": prices,
            },
            None,
        )
    for item_code, description, rate in SEED_SERVICES:
        _save_item(
            biz,
            _SERVICE,
            {
                "item_code": item_code,
                "description": description,
                "sales_ledger_account_id": code[4010],
                "sales_rates": [{"service_rate_type_id": rate_types[0]["id"], "rate": rate}],
            },
            None,
        )
    for item_code, description, cost, price, quantity, reorder in SEED_STOCK:
        _create_stock_item(
            biz,
            {
                "item_code": item_code,
                "description": description,
                "sales_ledger_account_id": code[4000],
                "purchase_ledger_account_id": code[1001],
                "cost_price": cost,
                "quantity_in_stock": quantity,
                "reorder_level": reorder,
                "sales_prices": [
                    {"product_sales_price_type_id": price_types[0]["id"], "price": price}
                ],
            },
        )


# --- Registration -----------------------------------------------------------------------------

_ITEM_FILTERS = frozenset({"search", "active"})


def _type_resource(tiers: _Tiers, wrapper: str, users: tuple[str, ...], **more: Any) -> Resource:
    """A price or rate type resource: the same writes and filter, its own users' prices."""
    write = _type_writer(tiers.types)
    return Resource(
        tiers.types,
        wrapper,
        create=lambda biz, data: write(biz, None, data),
        update=write,
        delete=_delete_type(tiers, users),
        simulated=TYPE_IN,
        filters=frozenset({"active"}),
        matches=_matches,
        **more,
    )


register(_type_resource(PRICES, "product_sales_price_type", (PRODUCTS, STOCK_ITEMS), seed=_seed))
register(_type_resource(RATES, "service_rate_type", (SERVICES,)))
register(
    Resource(
        PRODUCTS,
        "product",
        create=lambda biz, data: _save_item(biz, _PRODUCT, data, None),
        update=_update_product,
        delete=_delete_item(PRODUCTS),
        simulated=PRODUCT_IN,
        filters=_ITEM_FILTERS,
        matches=_matches,
        computed=_usage,
    )
)
register(
    Resource(
        SERVICES,
        "service",
        create=lambda biz, data: _save_item(biz, _SERVICE, data, None),
        update=lambda biz, record, data: _save_item(biz, _SERVICE, data, record),
        delete=_delete_item(SERVICES),
        simulated=SERVICE_IN,
        filters=_ITEM_FILTERS,
        matches=_matches,
        computed=_usage,
    )
)
register(
    Resource(
        STOCK_ITEMS,
        "stock_item",
        create=_create_stock_item,
        update=lambda biz, record, data: _save_item(biz, _STOCK_ITEM, data, record),
        delete=_delete_item(STOCK_ITEMS),
        simulated=STOCK_IN,
        # The quantity in stock changes through movements once the item exists (inferred).
        create_only=frozenset({"quantity_in_stock"}),
        filters=_ITEM_FILTERS | {"out_of_stock", "below_reorder_level"},
        matches=_matches,
        computed=_usage,
    )
)
register(
    Resource(
        MOVEMENTS,
        "stock_movement",
        create=_create_movement,
        update=_update_movement,
        delete=_delete_movement,
        simulated=MOVEMENT_IN,
        filters=frozenset({"search", "stock_item_id", "from_date", "to_date"}),
        matches=_matches,
    )
)
