"""The catalogue: products, services, stock items and movements, price and rate types.

Every resource here is a row of the :mod:`sage_accounting._crud` table: the swagger's
operations on its path, its fields and examples. A shop syncs its catalogue by SKU, so
products, services and stock items also get a find by exact item code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from pydantic import Field, create_model

from sage_accounting._changes import changes_trigger
from sage_accounting._crud import Family, register_family
from sage_accounting._lookups import (
    LEDGER_ACCOUNTS,
    PRICE_TYPES,
    PRODUCTS,
    PURCHASE_ACCOUNTS,
    RATE_TYPES,
    SALES_ACCOUNTS,
    SERVICES,
    STOCK_ITEMS,
    STOCK_MOVEMENTS,
    SUPPLIERS,
    TAX_RATES,
)
from sage_accounting._markers import Marker
from sage_accounting._models import (
    Bool,
    ChangeTrackingInputs,
    Date,
    Id,
    Money,
    PagingInputs,
    UpdatedSinceInputs,
    optional,
    stub,
)
from sage_accounting._resources import Dated, Link, described
from sageflow._component import Inputs

# --- Output models: the fields a flow commonly reads; Sage's others are kept (extra="allow") ---


class SalesPriceOut(Dated):
    """One of a product's prices: one per price type (Sales Price, Trade, ...)."""

    price_name: str | None = described("The price's name.")
    price: str | None = described("The price, a decimal string as Sage sends it.")
    price_includes_tax: bool | None = described("Whether the price includes tax.")
    product_sales_price_type: Link | None = described("The price type.")


class SalesRateOut(Dated):
    """One of a service's rates: one per rate type (Rate, Hourly, ...)."""

    rate_name: str | None = described("The rate's name.")
    rate: str | None = described("The rate, a decimal string as Sage sends it.")
    rate_includes_tax: bool | None = described("Whether the rate includes tax.")
    service_rate_type: Link | None = described("The rate type.")


class CatalogueItem(Dated):
    """What products, services and stock items share."""

    item_code: str | None = described("The item code (a shop's SKU).")
    description: str | None = described("The description, shown on invoices.")
    notes: str | None = described("Notes.")
    sales_ledger_account: Link | None = described("The ledger account sales post to.")
    purchase_ledger_account: Link | None = described("The ledger account purchases post to.")
    sales_tax_rate: Link | None = described("The sales tax rate.")
    purchase_tax_rate: Link | None = described("The purchase tax rate.")
    usual_supplier: Link | None = described("The usual supplier.")
    cost_price: str | None = described("The cost price, a decimal string as Sage sends it.")
    active: bool | None = described("Whether the item is offered.")
    deletable: bool | None = described("Whether Sage would delete it (unused on transactions).")


class Product(CatalogueItem):
    """A product (``/products``); stock items are listed here too."""

    sales_prices: list[SalesPriceOut] | None = described("The prices, one per price type.")
    catalog_item_type: Link | None = described("PRODUCT (non-stock) or STOCK_ITEM.")


class Service(CatalogueItem):
    """A service (``/services``)."""

    sales_rates: list[SalesRateOut] | None = described("The rates, one per rate type.")


class StockItem(CatalogueItem):
    """A stock item (``/stock_items``): a product whose quantity in stock is tracked."""

    sales_prices: list[SalesPriceOut] | None = described("The prices, one per price type.")
    quantity_in_stock: str | None = described("Quantity held, a decimal string.")
    reorder_level: str | None = described("Reorder when stock falls below this.")
    reorder_quantity: str | None = described("How many to reorder.")
    last_cost_price: str | None = described("Latest purchase or adjustment-in unit cost.")
    average_cost_price: str | None = described("Average unit cost of the stock taken in.")
    location: str | None = described("Where the stock is kept.")
    barcode: str | None = described("The barcode.")


class StockMovement(Dated):
    """A stock adjustment (``/stock_movements``): it changes its item's quantity in stock."""

    movement_number: int | str | None = described("Sage's number of the movement.")
    date: str | None = described("The movement's date.")
    quantity: str | None = described("Quantity moved: positive in, negative out.")
    cost_price: str | None = described("Unit cost of the stock moved.")
    details: str | None = described("What the movement was.")
    reference: str | None = described("Your reference.")
    stock_item: Link | None = described("The stock item.")


class CatalogueType(Dated):
    name: str | None = described("The type's name.")
    active: bool | None = described("Whether the type is offered.")


class ProductSalesPriceType(CatalogueType):
    """A product price type (``/product_sales_price_types``): Sales Price, Trade, ..."""


class ServiceRateType(CatalogueType):
    """A service rate type (``/service_rate_types``): Rate, Hourly, ..."""


# --- Examples (invented, shaped like Sage's; ids are 32 hex characters) ---

PRODUCT_ID = "4be2a3c6d1f84e0b9a7c5d3e1f2a4b6c"
SERVICE_ID = "7d1e5f3a9c2b4e6d8f0a1c3e5b7d9f2a"
STOCK_ITEM_ID = "c2a4e6f8b1d3459786a0c2e4f6b8d1a3"
MOVEMENT_ID = "e8f1a3c5d7b94e2f6a8c0e2d4f6b8a1c"
PRICE_TYPE_ID = "5e7a9c1b3d5f4a6c8e0b2d4f6a8c1e3b"
RATE_TYPE_ID = "9a1c3e5b7d9f4b2d6e8a0c2e4b6d8f1a"
SALES_LEDGER_ID = "0b2d4f6a8c1e4a3b5d7f9c2e4a6b8d1f"
PURCHASE_LEDGER_ID = "1c3e5a7b9d2f4c6e8a0b3d5f7a9c2e4b"
SUPPLIER_ID = "6f8b1d3a5c7e4f9b2d4a6c8e1f3b5d7a"
_STAMP = {"created_at": "2026-03-02T09:15:00Z", "updated_at": "2026-03-02T09:15:00Z"}


_GB_STANDARD = stub("tax_rates", "GB_STANDARD", "Standard 20.00%")
_SALES_LEDGER = stub("ledger_accounts", SALES_LEDGER_ID, "Sales - Products (4000)")
_PURCHASE_LEDGER = stub("ledger_accounts", PURCHASE_LEDGER_ID, "Cost of sales - goods (5000)")
_PRICE_TYPE = stub("product_sales_price_types", PRICE_TYPE_ID, "Sales Price")
_RATE_TYPE = stub("service_rate_types", RATE_TYPE_ID, "Rate")


def _item(collection: str, key: str, code: str, description: str, **more: Any) -> dict[str, Any]:
    return {
        **stub(collection, key, description),
        **_STAMP,
        "deletable": True,
        "item_code": code,
        "description": description,
        "notes": None,
        "sales_ledger_account": _SALES_LEDGER,
        "purchase_ledger_account": _PURCHASE_LEDGER,
        "sales_tax_rate": _GB_STANDARD,
        "purchase_tax_rate": _GB_STANDARD,
        "usual_supplier": stub("contacts", SUPPLIER_ID, "Oakwood Timber Supplies (OAK001)"),
        "active": True,
        **more,
    }


def _price(price: str) -> dict[str, Any]:
    return {
        "id": "2d4f6a8c1e3b4d5f7a9c2e4b6d8f1a3c",
        "displayed_as": "Sales Price",
        **_STAMP,
        "price_name": "Sales Price",
        "price": price,
        "price_includes_tax": False,
        "product_sales_price_type": _PRICE_TYPE,
    }


_PRODUCT = _item(
    "products",
    PRODUCT_ID,
    "BRD-OAK-40",
    "Oak chopping board, 40 cm",
    cost_price="11.5",
    sales_prices=[_price("24.0")],
    catalog_item_type={
        "id": "PRODUCT",
        "displayed_as": "Non-stock",
        "$path": "/catalog_item_types/PRODUCT",
    },
)
_SERVICE = _item(
    "services",
    SERVICE_ID,
    "FIT-HOUR",
    "Fitting, per hour",
    cost_price="0.0",
    sales_rates=[
        {
            "id": "3e5a7c9b1d2f4e6a8c0b2d4f6e8a1c3b",
            "displayed_as": "Rate",
            **_STAMP,
            "rate_name": "Rate",
            "rate": "45.0",
            "rate_includes_tax": False,
            "service_rate_type": _RATE_TYPE,
        }
    ],
)
_STOCK_ITEM = _item(
    "stock_items",
    STOCK_ITEM_ID,
    "HNG-BRASS",
    "Brass hinge, pair",
    cost_price="2.1",
    sales_prices=[_price("4.5")],
    quantity_in_stock="120.0",
    reorder_level="40.0",
    reorder_quantity="100.0",
    last_cost_price="2.1",
    average_cost_price="2.1",
    location="Bay 3",
    barcode="5012345678900",
)
_MOVEMENT = {
    **stub("stock_movements", MOVEMENT_ID, "Stock take adjustment"),
    **_STAMP,
    "movement_number": 2,
    "date": "2026-03-02",
    "quantity": "-3.0",
    "cost_price": "2.1",
    "details": "Stock take adjustment",
    "reference": "ST-2026-03",
    "stock_item": stub("stock_items", STOCK_ITEM_ID, "Brass hinge, pair"),
}
_PRICE_TYPE_RECORD = {**_PRICE_TYPE, **_STAMP, "name": "Sales Price", "active": True}
_RATE_TYPE_RECORD = {**_RATE_TYPE, **_STAMP, "name": "Rate", "active": True}


# --- Inputs ---


def _tier(word: str, kind: str, listing: str, examples: tuple[str, str, str], choices: Any) -> Any:
    """A product's price (``word`` "price") or a service's rate ("rate") for one price or rate
    type: the same four fields under each one's names, so both are made here."""
    type_id, amount, name = examples
    fields: dict[str, Any] = {
        f"{_camel(kind)}TypeId": (
            Id,
            Field(
                description=f"The {kind} type ({listing}).",
                examples=[type_id],
                min_length=1,
                json_schema_extra=choices,
            ),
        ),
        word: (
            Money,
            Field(description=f"The {word}, an exact decimal.", examples=[amount]),
        ),
        f"{word}Name": (
            str | None,
            optional(f"The {word}'s name; Sage shows the type's.", name),
        ),
        f"{word}IncludesTax": (Bool | None, optional(f"The {word} includes tax.", False)),
    }
    return create_model(
        f"Sales{word.title()}",
        __base__=Inputs,
        __doc__=f"The {word} for one {kind} type.",
        **fields,
    )


def _camel(words: str) -> str:
    first, *rest = words.split()
    return first + "".join(w.title() for w in rest)


if TYPE_CHECKING:
    SalesPrice: TypeAlias = Inputs
    SalesRate: TypeAlias = Inputs
else:
    SalesPrice = _tier(
        "price",
        "product sales price",
        "Sales Price, Trade, ...: listProductSalesPriceTypes",
        (PRICE_TYPE_ID, "24.00", "Sales Price"),
        PRICE_TYPES,
    )
    SalesRate = _tier(
        "rate",
        "service rate",
        "Rate, Hourly, ...: listServiceRateTypes",
        (RATE_TYPE_ID, "45.00", "Rate"),
        RATE_TYPES,
    )


def _description(example: str) -> Any:
    return Field(
        description="The description, shown on invoices.", examples=[example], min_length=1
    )


def _sales_ledger() -> Any:
    return Field(
        description="The ledger account sales post to.",
        examples=[SALES_LEDGER_ID],
        min_length=1,
        json_schema_extra=SALES_ACCOUNTS,
    )


def _purchase_ledger(choices: Any) -> Any:
    return Field(
        description="The ledger account purchases post to.",
        examples=[PURCHASE_LEDGER_ID],
        min_length=1,
        json_schema_extra=choices,
    )


class ItemFields(Inputs):
    """Optional inputs products, services and stock items share."""

    notes: str | None = optional("Notes.", "Oiled finish.")
    salesTaxRateId: Id | None = optional(
        "The sales tax rate.", "GB_STANDARD", json_schema_extra=TAX_RATES
    )
    purchaseTaxRateId: Id | None = optional(
        "The purchase tax rate.", "GB_STANDARD", json_schema_extra=TAX_RATES
    )
    usualSupplierId: Id | None = optional(
        "The usual supplier (a VENDOR contact).", SUPPLIER_ID, json_schema_extra=SUPPLIERS
    )
    costPrice: Money | None = optional("The cost price, an exact decimal.", "11.50")
    sourceGuid: str | None = optional("Its id in the system it was imported from.", "shop-8812")
    purchaseDescription: str | None = optional("The description on purchases.", "Oak board")
    active: Bool | None = optional("Offer the item (false deactivates it).", True)


class CreateProductInputs(ItemFields):
    description: str = _description("Oak chopping board, 40 cm")
    salesLedgerAccountId: Id = _sales_ledger()
    purchaseLedgerAccountId: Id = _purchase_ledger(PURCHASE_ACCOUNTS)
    itemCode: str | None = optional("The item code (a shop's SKU).", "BRD-OAK-40")
    salesPrices: list[SalesPrice] | None = optional(
        "Prices, one per price type.",
        [{"productSalesPriceTypeId": PRICE_TYPE_ID, "price": "24.00"}],
    )


class CreateServiceInputs(ItemFields):
    description: str = _description("Fitting, per hour")
    salesLedgerAccountId: Id = _sales_ledger()
    purchaseLedgerAccountId: Id | None = optional(
        "The ledger account purchases post to.",
        PURCHASE_LEDGER_ID,
        json_schema_extra=PURCHASE_ACCOUNTS,
    )
    itemCode: str | None = optional("The item code.", "FIT-HOUR")
    ossService: Bool | None = optional("An EU One Stop Shop service.", False)
    salesRates: list[SalesRate] | None = optional(
        "Rates, one per rate type.", [{"serviceRateTypeId": RATE_TYPE_ID, "rate": "45.00"}]
    )


class CreateStockItemInputs(ItemFields):
    itemCode: str = Field(
        description="The item code (a shop's SKU).", examples=["HNG-BRASS"], min_length=1
    )
    description: str = _description("Brass hinge, pair")
    salesLedgerAccountId: Id = _sales_ledger()
    purchaseLedgerAccountId: Id = _purchase_ledger(LEDGER_ACCOUNTS)
    reorderLevel: Money | None = optional("Reorder when stock falls below this.", "40")
    reorderQuantity: Money | None = optional("How many to reorder.", "100")
    location: str | None = optional("Where the stock is kept.", "Bay 3")
    barcode: str | None = optional("The barcode.", "5012345678900")
    supplierPartNumber: str | None = optional("The supplier's part number.", "BH-220")
    weight: Money | None = optional("Weight of one unit.", "0.12")
    measurementUnit: str | None = optional("Unit of the weight.", "kg")
    quantityInStock: Money | None = optional(
        "Opening quantity in stock; later changes are stock movements.", "120"
    )
    salesPrices: list[SalesPrice] | None = optional(
        "Prices, one per price type.",
        [{"productSalesPriceTypeId": PRICE_TYPE_ID, "price": "4.50"}],
    )


class CreateStockMovementInputs(Inputs):
    stockItemId: Id = Field(
        description="The stock item whose quantity changes.",
        examples=[STOCK_ITEM_ID],
        min_length=1,
        json_schema_extra=STOCK_ITEMS,
    )
    date: Date = Field(description="When the stock moved.", examples=["2026-03-02"])
    quantity: Money = Field(
        description="Quantity moved: positive adds stock, negative takes it out.",
        examples=["-3"],
    )
    costPrice: Money = Field(description="Unit cost of the stock moved.", examples=["2.10"])
    details: str = Field(
        description="What the movement was.", examples=["Stock take adjustment"], min_length=1
    )
    movementNumber: str | None = optional("Your number for the movement.", "ADJ-2")
    reference: str | None = optional("Your reference.", "ST-2026-03")


class CatalogueTypeFields(Inputs):
    """A price or rate type: a name, and whether it is offered."""

    name: str = Field(description="The type's name.", examples=["Trade"], min_length=1)
    active: Bool = Field(description="Offer the type in the application.", examples=[True])


class CatalogueListInputs(ChangeTrackingInputs):
    """Filters of the product and service lists."""

    search: str | None = optional("Match item code or description.", "oak")
    active: Bool | None = optional("Only active (true) or inactive (false) items.", True)


class StockItemListInputs(CatalogueListInputs):
    outOfStock: Bool | None = optional("Only items out of stock.", True)
    belowReorderLevel: Bool | None = optional("Only items below their reorder level.", True)


class StockMovementListInputs(PagingInputs):
    search: str | None = optional("Match the movement's details.", "stock take")
    stockItemId: Id | None = optional(
        "Only this stock item's movements.", STOCK_ITEM_ID, json_schema_extra=STOCK_ITEMS
    )
    from_date: Date | None = optional("Only movements on or after this date.", "2026-01-01")
    to_date: Date | None = optional("Only movements on or before this date.", "2026-03-31")


class PriceTypeListInputs(PagingInputs):
    active: Bool | None = optional("Only active (true) or inactive (false) types.", True)


class RateTypeListInputs(UpdatedSinceInputs):
    active: Bool | None = optional("Only active (true) or inactive (false) types.", True)


# --- The table ---

#: An item code is looked for, never added: products, services and stock items are found again
#: by it when the caller gave one (Sage's ``search`` covers "the item code or description";
#: its uniqueness is inferred, and the sandbox enforces it, see docs/sandbox-fidelity.md);
#: otherwise the marker goes into the empty item code.
ITEM = Marker(fields=("item_code",), searchable=("item_code", "description"), unique="item_code")
#: A stock movement: ``search`` covers "the details" only, so the marker goes into the empty
#: reference and is matched among the movements with the caller's details.
MOVEMENT = Marker(fields=("reference",), searchable=("details",))

_NOT_DELETABLE = (
    "Sage keeps an item used on a transaction (its `deletable` is false): set `active` false "
    "instead."
)

FAMILIES = (
    Family(
        collection="products",
        wrapper="product",
        singular="Product",
        plural="Products",
        id_input="productId",
        output=Product,
        example=_PRODUCT,
        fields=CreateProductInputs,
        create_example={
            "description": "Oak chopping board, 40 cm",
            "itemCode": "BRD-OAK-40",
            "salesLedgerAccountId": SALES_LEDGER_ID,
            "purchaseLedgerAccountId": PURCHASE_LEDGER_ID,
            "salesTaxRateId": "GB_STANDARD",
            "costPrice": "11.50",
            "salesPrices": [{"productSalesPriceTypeId": PRICE_TYPE_ID, "price": "24.00"}],
        },
        update_example={"notes": "Oiled finish."},
        list_inputs=CatalogueListInputs,
        list_example={"search": "oak", "active": True, "fetchAll": True},
        lookup=PRODUCTS,
        marker=ITEM,
        find_by="item_code",
        notes={
            "list": "Stock items are listed here too (Sage's inventory guide).",
            "delete": _NOT_DELETABLE,
        },
    ),
    Family(
        collection="services",
        wrapper="service",
        singular="Service",
        plural="Services",
        id_input="serviceId",
        output=Service,
        example=_SERVICE,
        fields=CreateServiceInputs,
        create_example={
            "description": "Fitting, per hour",
            "itemCode": "FIT-HOUR",
            "salesLedgerAccountId": SALES_LEDGER_ID,
            "salesRates": [{"serviceRateTypeId": RATE_TYPE_ID, "rate": "45.00"}],
        },
        update_example={"notes": "Minimum one hour."},
        list_inputs=CatalogueListInputs,
        list_example={"active": True, "fetchAll": True},
        lookup=SERVICES,
        marker=ITEM,
        find_by="item_code",
        notes={"delete": _NOT_DELETABLE},
    ),
    Family(
        collection="stock_items",
        wrapper="stock_item",
        singular="Stock Item",
        plural="Stock Items",
        id_input="stockItemId",
        output=StockItem,
        example=_STOCK_ITEM,
        fields=CreateStockItemInputs,
        create_only=("quantityInStock",),
        create_example={
            "itemCode": "HNG-BRASS",
            "description": "Brass hinge, pair",
            "salesLedgerAccountId": SALES_LEDGER_ID,
            "purchaseLedgerAccountId": PURCHASE_LEDGER_ID,
            "costPrice": "2.10",
            "quantityInStock": "120",
            "reorderLevel": "40",
        },
        update_example={"location": "Bay 4"},
        list_inputs=StockItemListInputs,
        list_example={"belowReorderLevel": True, "fetchAll": True},
        lookup=STOCK_ITEMS,
        marker=ITEM,
        find_by="item_code",
        notes={
            "create": "quantityInStock is the opening stock; change it with stock movements.",
            "delete": _NOT_DELETABLE,
        },
    ),
    Family(
        collection="stock_movements",
        wrapper="stock_movement",
        singular="Stock Movement",
        plural="Stock Movements",
        id_input="stockMovementId",
        output=StockMovement,
        example=_MOVEMENT,
        fields=CreateStockMovementInputs,
        create_example={
            "stockItemId": STOCK_ITEM_ID,
            "date": "2026-03-02",
            "quantity": "-3",
            "costPrice": "2.10",
            "details": "Stock take adjustment",
            "reference": "ST-2026-03",
        },
        update_example={"reference": "ST-2026-03b"},
        list_inputs=StockMovementListInputs,
        list_example={"stockItemId": STOCK_ITEM_ID, "fetchAll": True},
        lookup=STOCK_MOVEMENTS,
        marker=MOVEMENT,
        notes={
            "create": "The stock item's quantity in stock changes by the quantity.",
            "update": "A new quantity changes the stock item's quantity by the difference.",
            "delete": "The stock item's quantity in stock is given back.",
        },
    ),
    Family(
        collection="product_sales_price_types",
        wrapper="product_sales_price_type",
        singular="Product Sales Price Type",
        plural="Product Sales Price Types",
        id_input="productSalesPriceTypeId",
        output=ProductSalesPriceType,
        example=_PRICE_TYPE_RECORD,
        fields=CatalogueTypeFields,
        create_example={"name": "Retail", "active": True},
        update_example={"active": False},
        list_inputs=PriceTypeListInputs,
        list_example={"active": True},
        lookup=PRICE_TYPES,
    ),
    Family(
        collection="service_rate_types",
        wrapper="service_rate_type",
        singular="Service Rate Type",
        plural="Service Rate Types",
        id_input="serviceRateTypeId",
        output=ServiceRateType,
        example=_RATE_TYPE_RECORD,
        fields=CatalogueTypeFields,
        create_example={"name": "Hourly", "active": True},
        update_example={"active": False},
        list_inputs=RateTypeListInputs,
        list_example={"active": True},
        lookup=RATE_TYPES,
    ),
)

HANDLERS = {family.collection: register_family(family) for family in FAMILIES}

# The change-tracked lists (their GET takes updated_or_created_since): a shop syncing its
# catalogue starts a flow per product changed. /service_rate_types takes no deleted_since.
changes_trigger("product", "/products", Product, example=_PRODUCT)
changes_trigger("service", "/services", Service, example=_SERVICE)
changes_trigger("stockItem", "/stock_items", StockItem, example=_STOCK_ITEM)
changes_trigger(
    "serviceRateType",
    "/service_rate_types",
    ServiceRateType,
    deletions=False,
    example=_RATE_TYPE_RECORD,
)
