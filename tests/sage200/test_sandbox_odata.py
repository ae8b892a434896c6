"""The Sage 200 sandbox's OData subset: the parser alone, then every option through HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from sage200.sandbox import Clock, Sandbox
from sage200.sandbox._odata_parse import (
    Compare,
    Function,
    Logical,
    Not,
    ODataError,
    evaluate,
    parse_filter,
    parse_orderby,
    parse_select,
)

FIELDS = frozenset({"reference", "name", "balance", "on_hold", "date_time_updated", "note"})
ROW = {
    "reference": "ABB001",
    "name": "Exeter O'Brien & Sons",
    "balance": Decimal("1200.50"),
    "on_hold": False,
    "date_time_updated": "2026-01-05T09:00:00.000Z",
    "note": None,
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("reference eq 'ABB001'", True, id="eq"),
        pytest.param("reference eq 'abb001'", True, id="eq-ignores-case"),
        pytest.param("reference ne 'ABB001'", False, id="ne"),
        pytest.param("balance gt 1200", True, id="gt"),
        pytest.param("balance gt 1200.50", False, id="gt-equal"),
        pytest.param("balance ge 1200.50", True, id="ge"),
        pytest.param("balance lt 1200.5", False, id="lt"),
        pytest.param("balance le 1200.5", True, id="le"),
        pytest.param("balance eq -3", False, id="negative-number"),
        pytest.param("on_hold eq false", True, id="boolean"),
        pytest.param("note eq null", True, id="null-eq"),
        pytest.param("note ne null", False, id="null-ne"),
        pytest.param("balance gt 1 and reference eq 'X'", False, id="and"),
        pytest.param("balance gt 1 or reference eq 'X'", True, id="or"),
        pytest.param("not (reference eq 'X')", True, id="not"),
        pytest.param("reference eq 'X' and (balance gt 1 or on_hold eq true)", False, id="parens"),
        pytest.param("(reference eq 'X' and balance gt 1) or on_hold eq false", True, id="parens2"),
        pytest.param("contains(name, 'brien')", True, id="contains"),
        pytest.param("startswith(reference, 'ABB')", True, id="startswith"),
        pytest.param("endswith(reference, '001')", True, id="endswith"),
        pytest.param("contains(name, 'O''Brien')", True, id="escaped-quote"),
        pytest.param("name eq 'Exeter O''Brien & Sons'", True, id="escaped-quote-eq"),
        pytest.param("date_time_updated gt 2026-01-05T08:59:59Z", True, id="datetime-gt"),
        pytest.param("date_time_updated gt 2026-01-05T09:00:00.000Z", False, id="datetime-equal"),
        pytest.param("date_time_updated ge 2026-01-05", True, id="date-ge"),
        pytest.param("date_time_updated lt 2026-01-05", False, id="date-lt"),
        pytest.param("reference EQ 'ABB001'", True, id="operator-case"),
    ],
)
def test_each_operator_evaluates(text: str, expected: bool) -> None:
    assert evaluate(parse_filter(text, FIELDS), ROW) is expected


def test_the_tree_is_data_not_code() -> None:
    tree = parse_filter("not (reference eq 'A') or contains(name, 'b') and balance gt 2", FIELDS)
    assert tree == Logical(
        "or",
        Not(Compare("eq", tree.left.operand.field, tree.left.operand.literal)),  # type: ignore[union-attr]
        Logical(
            "and",
            Function("contains", tree.right.left.field, tree.right.left.literal),  # type: ignore[union-attr]
            Compare("gt", tree.right.right.field, tree.right.right.literal),  # type: ignore[union-attr]
        ),
    )
    assert tree.right.right.literal.value == Decimal(2)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "text",
    [
        # An escaped quote keeps the whole text one literal: it matches nothing, not everything.
        pytest.param("reference eq 'ABB001'' or 1 eq 1 or reference eq '''", id="escaped-or"),
        pytest.param("reference eq 'x'' or ''1'' eq ''1'", id="escaped-tautology"),
    ],
)
def test_escaped_injection_stays_a_literal(text: str) -> None:
    node = parse_filter(text, FIELDS)
    assert isinstance(node, Compare)
    assert evaluate(node, ROW) is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("reference eq 'ABB001' or 1 eq 1", "Expected a field name", id="or-1-eq-1"),
        pytest.param("reference eq 'x' or 'a' eq 'a'", "Expected a field name", id="literal-lhs"),
        pytest.param("reference eq 'ABB001' or 1", "Expected a field name", id="trailing-literal"),
        pytest.param(
            "reference eq 'x' or reference eq reference", "Expected a value", id="field-rhs"
        ),
        pytest.param("reference eq 'unterminated", "Unterminated string", id="unterminated"),
        pytest.param("reference eq 'a'' ", "Unterminated string", id="dangling-escape"),
        pytest.param("reference eq 'a'; DROP TABLE x", "Syntax error", id="semicolon"),
        pytest.param('reference eq "a"', "Syntax error", id="double-quotes"),
        pytest.param("__import__('os') eq 1", "Unknown function", id="python-call"),
        pytest.param("nope eq 1", "Could not find a property named 'nope'", id="unknown-field"),
        pytest.param("reference like 'a'", "Expected one of eq", id="unknown-op"),
        pytest.param("balance add 1 eq 2", "Expected one of eq", id="arithmetic"),
        pytest.param("substringof('a', name)", "Unknown function", id="odata-v3-function"),
        pytest.param("contains(name, 1)", "Expected a quoted string", id="function-number"),
        pytest.param("contains(name 'a')", "Expected ','", id="function-comma"),
        pytest.param("(reference eq 'a'", "ends where", id="open-paren"),
        pytest.param("reference eq 'a')", "Unexpected ')'", id="close-paren"),
        pytest.param("reference eq", "ends where a value", id="no-value"),
        pytest.param("", "empty", id="empty"),
        pytest.param("and", "Expected a field name", id="keyword-only"),
        pytest.param("date_time_updated gt 2026-01-05T09:00:00", "must be in UTC", id="no-z"),
        pytest.param(
            "date_time_updated gt 2026-01-05T09:00:00+01:00", "must be in UTC", id="offset"
        ),
        pytest.param("date_time_updated gt 2026-13-45", "Invalid date", id="bad-date"),
        pytest.param("balance lt null", "null can only be compared", id="null-lt"),
        pytest.param("not " * 60 + "on_hold eq true", "nests deeper", id="deep"),
        pytest.param("(" * 60 + "on_hold eq true" + ")" * 60, "nests deeper", id="deep-parens"),
    ],
)
def test_malformed_filters_are_refused(text: str, message: str) -> None:
    with pytest.raises(ODataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_filter(text, FIELDS)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("balance eq 'abc'", "not text", id="number-vs-text"),
        pytest.param("reference gt 5", "not a number", id="text-vs-number"),
        pytest.param("reference eq true", "not a boolean", id="text-vs-bool"),
        pytest.param("reference gt 2026-01-01", "not a date", id="text-vs-date"),
        pytest.param("contains(balance, '1')", "needs a text field", id="function-on-number"),
    ],
)
def test_type_mismatches_are_refused_when_evaluated(text: str, message: str) -> None:
    with pytest.raises(ODataError, match=message):
        evaluate(parse_filter(text, FIELDS), ROW)


def test_quoted_numbers_compare_with_numbers() -> None:
    # [Q]: enum values may be the number in quotes ('2').
    assert evaluate(parse_filter("balance eq '1200.50'", FIELDS), ROW) is True


def test_orderby_and_select_are_checked() -> None:
    assert parse_orderby("balance desc, reference", FIELDS) == [
        ("balance", True),
        ("reference", False),
    ]
    for bad, message in (
        ("balance sideways", "Invalid \\$orderby"),
        ("missing", "Could not find"),
        ("balance,", "empty item"),
    ):
        with pytest.raises(ODataError, match=message):
            parse_orderby(bad, FIELDS)
    assert parse_select("reference,customer.name", FIELDS, frozenset({"customer"})) == [
        "reference",
        "customer.name",
    ]
    with pytest.raises(ODataError, match="cannot be expanded"):
        parse_select("reference.x", FIELDS, frozenset())
    with pytest.raises(ODataError, match="Invalid"):
        parse_select("a-b", FIELDS, frozenset())


# -- through HTTP ------------------------------------------------------------------------------


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    simulator = Sandbox(clock=Clock.manual())
    yield simulator
    simulator.close()


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=sandbox.transport(), base_url=sandbox.api_base, headers=sandbox.headers()
    ) as http:
        yield http


def _get(client: httpx.Client, path: str, **params: str) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_filter_select_orderby(client: httpx.Client) -> None:
    rows = _get(
        client,
        "/customers",
        **{
            "$filter": "startswith(reference, 'C') or balance gt 0",
            "$select": "reference,balance",
            "$orderby": "reference desc",
        },
    )
    assert rows == [{"reference": "CAM001", "balance": 2880.0}]
    names = [row["name"] for row in _get(client, "/customers", **{"$orderby": "name"})]
    assert names == sorted(names, key=str.casefold)


def test_injection_through_http_is_a_400_or_a_literal(client: httpx.Client) -> None:
    response = client.get("/customers", params={"$filter": "reference eq 'X' or 1 eq 1"})
    assert response.status_code == 400
    assert "Expected a field name" in response.json()["Message"]
    escaped = "reference eq 'X'' or 1 eq 1 or reference eq '''"
    assert _get(client, "/customers", **{"$filter": escaped}) == []


def test_top_default_max_and_skip(sandbox: Sandbox, client: httpx.Client) -> None:
    assert len(_get(client, "/nominal_codes")) == len(sandbox.records("nominal_codes"))
    page = _get(client, "/nominal_codes", **{"$orderby": "id", "$top": "3", "$skip": "2"})
    everything = _get(client, "/nominal_codes", **{"$orderby": "id"})
    assert [row["id"] for row in page] == [row["id"] for row in everything[2:5]]
    refused = client.get("/nominal_codes", params={"$skip": "2"})
    assert refused.status_code == 400
    assert refused.json() == {"Message": "$skip requires $orderby."}
    assert client.get("/nominal_codes", params={"$top": "5001"}).status_code == 400
    assert client.get("/nominal_codes", params={"$top": "5000"}).status_code == 200
    assert client.get("/nominal_codes", params={"$top": "-1"}).status_code == 400


def test_default_top_is_500() -> None:
    simulator = Sandbox(clock=Clock.manual())
    company = simulator.company()
    base = simulator.records("cost_centres")[0]
    for number in range(600):
        company.put("cost_centres", {**base, "id": 900000 + number, "code": f"{number}"})
    with httpx.Client(
        transport=simulator.transport(), base_url=simulator.api_base, headers=simulator.headers()
    ) as http:
        assert len(_get(http, "/cost_centres")) == 500
        assert len(_get(http, "/cost_centres", **{"$top": "1000"})) == 603


def test_top_above_max_can_clamp() -> None:
    simulator = Sandbox(clock=Clock.manual(), top_above_max="clamp")
    with httpx.Client(
        transport=simulator.transport(), base_url=simulator.api_base, headers=simulator.headers()
    ) as http:
        assert http.get("/customers", params={"$top": "9999"}).status_code == 200


def test_count_envelope_and_header(client: httpx.Client) -> None:
    body = _get(client, "/customers", **{"$count": "true", "$top": "2", "$orderby": "id"})
    assert body["@odata.count"] == 6
    assert len(body["value"]) == 2
    simulator = Sandbox(clock=Clock.manual(), count="header")
    with httpx.Client(
        transport=simulator.transport(), base_url=simulator.api_base, headers=simulator.headers()
    ) as http:
        response = http.get("/customers", params={"$count": "true", "$top": "2"})
        assert response.headers["x-total-count"] == "6"
        assert len(response.json()) == 2


def test_expand_and_select_on_the_child(client: httpx.Client) -> None:
    rows = _get(
        client,
        "/sales_posted_transactions",
        **{
            "$expand": "customer",
            "$select": "urn,customer.reference",
            "$filter": "trader_transaction_type eq 'TradingAccountEntryTypeCreditNote'",
        },
    )
    assert rows == [{"urn": rows[0]["urn"], "customer": {"reference": "CAM001"}}]
    plain = _get(client, "/customers", **{"$top": "1", "$orderby": "id"})[0]
    assert "main_address" not in plain
    assert "currency" not in plain
    expanded = _get(
        client, "/customers", **{"$top": "1", "$orderby": "id", "$expand": "main_address,currency"}
    )[0]
    assert expanded["main_address"]["city"] == "Leeds"
    assert expanded["currency"]["name"] == "Pound Sterling"
    refused = client.get("/customers", params={"$expand": "nope"})
    assert refused.status_code == 400
    assert "navigation property named 'nope'" in refused.json()["Message"]


def test_incremental_sync_by_date_time_updated(sandbox: Sandbox, client: httpx.Client) -> None:
    rows = _get(client, "/customers", **{"$orderby": "date_time_updated desc", "$top": "1"})
    mark = rows[0]["date_time_updated"]
    assert mark.endswith("Z")
    assert _get(client, "/customers", **{"$filter": f"date_time_updated gt {mark}"}) == []
    sandbox.advance(60)
    customer = sandbox.records("customers")[1]
    assert client.put(f"/customers/{customer['id']}", json={"credit_limit": 10}).status_code == 200
    changed = _get(client, "/customers", **{"$filter": f"date_time_updated gt {mark}"})
    assert [row["id"] for row in changed] == [customer["id"]]
    moment = datetime.fromisoformat(changed[0]["date_time_updated"].replace("Z", "+00:00"))
    assert moment == datetime(2026, 1, 5, 9, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        pytest.param({"$foo": "1"}, "'$foo' is not supported", id="unknown-option"),
        pytest.param({"$count": "yes"}, "true or false", id="count-value"),
        pytest.param({"$orderby": "nope"}, "Could not find", id="orderby-field"),
        pytest.param({"$select": "nope"}, "Could not find", id="select-field"),
        pytest.param({"$filter": "balance eq 'x'"}, "not text", id="type"),
    ],
)
def test_bad_options_are_400(client: httpx.Client, params: dict[str, str], message: str) -> None:
    response = client.get("/customers", params=params)
    assert response.status_code == 400
    assert message in response.json()["Message"]


def test_dates_in_filters_compare_as_dates(client: httpx.Client) -> None:
    rows = _get(
        client,
        "/sales_posted_transactions",
        **{"$filter": "transaction_date ge 2026-01-03 and transaction_date lt 2026-01-04"},
    )
    assert [row["reference"] for row in rows] == ["INV0002"]
    assert date.fromisoformat(rows[0]["transaction_date"][:10]) == date(2026, 1, 3)


def test_paging_filters_and_sorts_once_until_a_write(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    company = sandbox.company()
    base = sandbox.records("cost_centres")[0]
    for number in range(1000):
        company.put("cost_centres", {**base, "id": 800000 + number, "code": f"C{number}"})
    query = {"$filter": "startswith(code, 'C')", "$orderby": "code desc", "$top": "100"}
    before = sandbox.list_builds
    pages = [
        _get(client, "/cost_centres", **query, **{"$skip": str(skip)})
        for skip in range(0, 1000, 100)
    ]
    assert sandbox.list_builds == before + 1
    codes = [row["code"] for page in pages for row in page]
    assert codes == sorted(codes, key=str.casefold, reverse=True)
    assert len(codes) == 1000
    assert client.post("/cost_centres", json={"code": "C-1"}).status_code == 200
    assert len(_get(client, "/cost_centres", **query, **{"$skip": "1000"})) == 1
    assert sandbox.list_builds == before + 2


def test_navigation_paths_filter_and_order(client: httpx.Client) -> None:
    rows = _get(
        client,
        "/sales_posted_transactions",
        **{
            "$filter": "customer/reference eq 'cam001' and document_gross_value gt 0",
            "$orderby": "customer/name,urn desc",
            "$select": "reference",
        },
    )
    assert [row["reference"] for row in rows] == ["CRN0001", "INV0002"]
    by_name = _get(client, "/sales_posted_transactions", **{"$orderby": "customer/name desc"})
    assert by_name[0]["customer_id"] == 27830 - 3  # CAM001 sorts after ABB001
    refused = client.get("/customers", params={"$filter": "currency/nope eq 'x'"})
    assert refused.status_code == 400
    assert "named 'nope' on 'currency'" in refused.json()["Message"]
    assert client.get("/tax_codes", params={"$filter": "x/y eq 1"}).status_code == 400


def test_navigation_paths_switch() -> None:
    simulator = Sandbox(clock=Clock.manual(), navigation_paths=False)
    with httpx.Client(
        transport=simulator.transport(), base_url=simulator.api_base, headers=simulator.headers()
    ) as http:
        response = http.get(
            "/sales_posted_transactions", params={"$filter": "customer/reference eq 'CAM001'"}
        )
        assert response.status_code == 400
        assert "navigation property named 'customer'" in response.json()["Message"]


ALL = {"ABB001", "BRI001", "CAM001", "DUN001", "EXE001", "FIF001"}


def test_the_packs_compiled_filters_parse_and_match(sandbox: Sandbox, client: httpx.Client) -> None:
    """What the pack's typed filter writes (sage200._odata) is read back by this parser as the
    same test, for every operator and for values that try to break out of their quotes."""
    from sage200 import _odata

    awkward = "Exeter O'Brien & Sons"
    customer = sandbox.company().find("customers", reference="EXE001")
    assert customer is not None
    assert client.put(f"/customers/{customer['id']}", json={"name": awkward}).status_code == 200
    early = "2026-01-05T10:00:00+01:00"
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({"field": "name", "operator": "eq", "value": awkward}, {"EXE001"}),
        ({"field": "name", "operator": "contains", "value": "O'Brien"}, {"EXE001"}),
        ({"field": "name", "operator": "eq", "value": "x' or 1 eq 1 or name eq 'x"}, set()),
        ({"field": "name", "operator": "eq", "value": "x') or (1 eq 1"}, set()),
        ({"field": "reference", "operator": "ne", "value": "ABB001"}, ALL - {"ABB001"}),
        ({"field": "reference", "operator": "startswith", "value": "D"}, {"DUN001"}),
        ({"field": "reference", "operator": "endswith", "value": "1"}, ALL),
        ({"field": "credit_limit", "operator": "gt", "value": "7500"}, {"CAM001"}),
        ({"field": "credit_limit", "operator": "ge", "value": "7500.00"}, {"CAM001", "DUN001"}),
        ({"field": "credit_limit", "operator": "lt", "value": "2500", "type": "number"},
         {"EXE001"}),
        ({"field": "credit_limit", "operator": "le", "value": "2500"}, {"BRI001", "EXE001"}),
        ({"field": "on_hold", "operator": "eq", "value": False}, ALL),
        ({"field": "date_time_created", "operator": "lt", "value": "2026-01-05", "type": "date"},
         set()),
        ({"field": "date_time_created", "operator": "le", "value": early, "type": "datetime"},
         ALL),
        ({"field": "currency/name", "operator": "eq", "value": "Pound Sterling"}, ALL),
    ]  # fmt: skip
    for values, expected in cases:
        text = _odata.compile_filter([_odata.Condition(**values)])
        assert text is not None
        rows = _get(client, "/customers", **{"$filter": text})
        assert {row["reference"] for row in rows} == expected, text
