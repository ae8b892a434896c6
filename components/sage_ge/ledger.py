"""Lettrage (matching) of journal entries through Chift: ``POST /matching`` pairs a third
party's open entries, e.g. an invoice and its payment."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sage_ge import _lookups
from sage_ge._pack import PACK
from sageflow._component import WRITE, Action, Inputs
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
        json_schema_extra=_lookups.SUPPLIERS,
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
