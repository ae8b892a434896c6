"""The general ledger through Chift: lettrage (``POST /matching`` pairs a third party's open
entries, e.g. an invoice and its payment) and account balances (soldes)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sage_ge import _lookups
from sage_ge._pack import PACK
from sage_ge._paging import ListInputs, ListOutput, list_action
from sageflow._component import READ_ONLY, WRITE, Action, Inputs
from sageflow._values import HTTPRequest


class MatchEntriesInputs(Inputs):
    entries: list[str] = Field(
        min_length=2,
        description="Ids of the entries to match (at least two), e.g. an invoice and its payment.",
        examples=[["E-2026-0042", "E-2026-0057"]],
    )
    clientId: str | None = Field(
        default=None, min_length=1, description="The client whose entries they are.",
        examples=["CDUPONT"], json_schema_extra=_lookups.CLIENTS,
    )  # fmt: skip
    supplierId: str | None = Field(
        default=None, min_length=1, description="The supplier whose entries they are.",
        examples=["FORANGE"], json_schema_extra=_lookups.SUPPLIERS,
    )  # fmt: skip

    @model_validator(mode="after")
    def _one_party(self) -> MatchEntriesInputs:
        if (self.clientId is None) == (self.supplierId is None):
            raise ValueError("give clientId or supplierId (Chift's partner_id), not both")
        return self


class MatchEntriesOutput(BaseModel):
    model_config = ConfigDict(extra="allow")

    matching_number: str = Field(description="The lettrage code Sage GE gave the match.")
    # Chift's MatchingOut.balance is a JSON number; kept as sent (zero when fully matched).
    balance: float | int = Field(description="The matched entries' sum (0 when complete).")


@PACK.component(
    key="matchEntries",
    title="Match Entries",
    description=(
        "Match (lettrer) a client's or supplier's journal entries, e.g. an invoice and its "
        "payment (POST /matching through Chift; on request at Chift)."
    ),
    inputs=MatchEntriesInputs,
    output=MatchEntriesOutput,
    annotations=WRITE,
    example_input={"entries": ["E-2026-0042", "E-2026-0057"], "clientId": "CDUPONT"},
    example_output={"matching_number": "AA", "balance": 0},
    availability="on_request",
)
def match_entries(inputs: MatchEntriesInputs) -> Action:
    partner = inputs.clientId or inputs.supplierId
    body = {"entries": list(inputs.entries), "partner_id": partner}
    response = yield HTTPRequest("POST", "/matching", json=body)
    answer = response.json()
    if not isinstance(answer, dict):
        raise ValueError("POST /matching did not answer a matching")
    return answer


_MONTH = r"^[0-9]{4}(0[1-9]|1[0-2])$"


class AccountBalancesInputs(ListInputs):
    accounts: list[Annotated[str, Field(pattern=r"^[0-9]{1,13}$")]] = Field(
        min_length=1,
        description="Account numbers or their beginnings: 601 takes 601xxx, 7 the whole class.",
        examples=[["601", "7"]],
    )
    endMonth: str = Field(
        pattern=_MONTH, description="Last month, YYYYMM (balances at its end).", examples=["202612"]
    )
    startMonth: str | None = Field(
        default=None, pattern=_MONTH, description="First month of the period's movements.",
        examples=["202601"],
    )  # fmt: skip

    @model_validator(mode="after")
    def _order(self) -> AccountBalancesInputs:
        if self.startMonth is not None and self.startMonth > self.endMonth:
            raise ValueError("startMonth is after endMonth")
        return self


class AccountBalance(BaseModel):
    model_config = ConfigDict(extra="allow")

    account_number: str = Field(description="The general account.")
    account_name: str | None = Field(default=None, description="Its label.")


@PACK.component(
    key="getAccountBalances",
    title="Get Account Balances",
    description=(
        "Balances (soldes) of general accounts at a month's end, with the period's movements "
        "from a start month (POST /chart-of-accounts/balance through Chift; on request)."
    ),
    inputs=AccountBalancesInputs,
    output=ListOutput[AccountBalance],
    annotations=READ_ONLY,
    example_input={"accounts": ["512", "411"], "startMonth": "202601", "endMonth": "202603"},
    example_output={
        "items": [
            {
                "account_number": "512000",
                "account_name": "Banque",
                "debit": 15230.75,
                "credit": 0.0,
                "balance": 15230.75,
                "period_debit": 4200.0,
                "period_credit": 1800.0,
                "period_balance": 2400.0,
            }
        ],
        "total": 1,
        "page": 1,
        "size": 100,
        "pagesFetched": 1,
        "mayHaveMore": False,
    },
    availability="on_request",
)
def get_account_balances(inputs: AccountBalancesInputs) -> Action:
    body: dict[str, Any] = {"accounts": list(inputs.accounts), "end": inputs.endMonth}
    if inputs.startMonth is not None:
        body["start"] = inputs.startMonth
    return (yield from list_action("/chart-of-accounts/balance", inputs, body=body))


class Matching(Inputs):
    """One lettrage: a client's or supplier's entries that settle each other."""

    entries: list[Annotated[str, Field(min_length=1)]] = Field(
        min_length=2,
        description="Ids of the entries to match (at least two): journal entries, invoices, "
        "payments or financial entries.",
        examples=[["INV000012", "E000057"]],
    )
    clientId: str | None = Field(
        default=None, min_length=1, description="The client whose entries they are.",
        examples=["CDUPONT"], json_schema_extra=_lookups.CLIENTS,
    )  # fmt: skip
    supplierId: str | None = Field(
        default=None, min_length=1, description="The supplier whose entries they are.",
        examples=["FORANGE"], json_schema_extra=_lookups.SUPPLIERS,
    )  # fmt: skip

    @model_validator(mode="after")
    def _one_party(self) -> Matching:
        if (self.clientId is None) == (self.supplierId is None):
            raise ValueError("give clientId or supplierId (Chift's partner_id), not both")
        if len(set(self.entries)) != len(self.entries):
            raise ValueError("an entry is listed twice in one matching")
        return self


class MatchEntriesMultipleInputs(Inputs):
    matchings: list[Matching] = Field(
        min_length=1, max_length=500, description="The lettrages to make, each on its own."
    )


class MatchingResult(BaseModel):
    model_config = ConfigDict(extra="allow")

    matching_number: str | None = Field(description="The lettrage code, when it was made.")
    processed: bool = Field(description="Whether Sage GE made this lettrage.")
    error_msg: dict[str, Any] | None = Field(description="Why not, when it was refused.")


class MatchEntriesMultipleOutput(BaseModel):
    results: list[MatchingResult] = Field(description="Per matching, in the order given.")
    matched: int = Field(description="How many were made.")
    refused: int = Field(description="How many were refused (see each result's error_msg).")


@PACK.component(
    key="matchEntriesMultiple",
    title="Match Entries (Several Matchings)",
    description=(
        "Make several lettrages at once, each a client's or supplier's entries that settle "
        "each other (POST /matching-multiple through Chift; on request at Chift); a refused "
        "one is reported with Chift's error, not failing the others."
    ),
    inputs=MatchEntriesMultipleInputs,
    output=MatchEntriesMultipleOutput,
    annotations=WRITE,
    example_input={"matchings": [{"entries": ["INV000012", "E000057"], "clientId": "CDUPONT"}]},
    example_output={
        "results": [{"matching_number": "AA", "processed": True, "error_msg": None}],
        "matched": 1,
        "refused": 0,
    },
    availability="on_request",
)
def match_entries_multiple(inputs: MatchEntriesMultipleInputs) -> Action:
    body = {
        "matchings": [
            {"entries": list(m.entries), "partner_id": m.clientId or m.supplierId}
            for m in inputs.matchings
        ]
    }
    response = yield HTTPRequest("POST", "/matching-multiple", json=body)
    answer = response.json()
    if not isinstance(answer, list) or not all(isinstance(a, dict) for a in answer):
        raise ValueError("POST /matching-multiple did not answer a list of matchings")
    matched = sum(1 for a in answer if a.get("processed"))
    return {"results": answer, "matched": matched, "refused": len(answer) - matched}
