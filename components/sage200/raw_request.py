"""rawRequest: any Sage 200 endpoint the pack has no component for, kept inside the API base."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sage200._models import optional
from sage200._pack import PACK
from sage200._wire import read
from sage200.connection import SUBSCRIPTION_HEADER
from sageflow._component import WRITE, Action, Inputs
from sageflow._paths import ensure_api_path
from sageflow._raw import (
    CREDENTIAL_HEADERS,
    URL_PATTERN,
    check_headers,
    check_url,
    header_pattern,
    read_body,
)
from sageflow._values import HTTPRequest, HTTPResponse, QueryValue

#: Headers the connection owns: a flow setting them would leak or replace the credentials.
#: X-Site and X-Company are not among them: a flow may address another company of the grant.
PROTECTED_HEADERS = CREDENTIAL_HEADERS | {SUBSCRIPTION_HEADER}
PROTECTED_HEADER_PATTERN = header_pattern(PROTECTED_HEADERS)


class RawRequestInputs(Inputs):
    method: Literal["GET", "POST", "PUT", "DELETE"] = Field(
        description="The HTTP method.", examples=["GET"]
    )
    url: str = Field(
        description=(
            "A path below the API base (…/uk/sage200/accounts/v1), such as /customers or "
            "/customers?$top=10; never a full URL."
        ),
        examples=["/price_bands"],
        json_schema_extra={"pattern": URL_PATTERN},
    )
    data: dict[str, Any] | list[Any] | None = optional(
        "The JSON body.", {"reference": "ABB002", "name": "Abbey Outlet"}
    )
    headers: dict[str, str] | None = Field(
        default=None,
        description=(
            "Extra headers (X-Site and X-Company may be changed); Authorization and the "
            "subscription key belong to the connection."
        ),
        examples=[{"X-Company": "2"}],
        json_schema_extra={"propertyNames": {"not": {"pattern": PROTECTED_HEADER_PATTERN}}},
    )
    queryParams: dict[str, str] | None = optional(
        "Query parameters, added to any in the url (OData: $filter, $top, ...).",
        {"$top": "10"},
    )
    responseType: Literal["json", "text"] = Field(
        default="json", description="How to read the body: json or text.", examples=["json"]
    )

    @field_validator("url")
    @classmethod
    def _inside_the_api(cls, url: str) -> str:
        return check_url(url, "/customers")

    @field_validator("headers")
    @classmethod
    def _not_the_credentials(cls, headers: dict[str, str]) -> dict[str, str]:
        return check_headers(headers, PROTECTED_HEADERS)


class RawResponse(BaseModel):
    """The response as it came: status, headers and the body read as responseType asked."""

    model_config = ConfigDict(extra="forbid")

    status: int = Field(description="The HTTP status.")
    headers: dict[str, str] = Field(description="Response headers.")
    body: Any = Field(description="Parsed JSON, or text.")


def build_request(inputs: RawRequestInputs) -> HTTPRequest:
    """The request values for the inputs (the url was checked at validation)."""
    parts = urlsplit(ensure_api_path(inputs.url))
    query: dict[str, QueryValue] = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(inputs.queryParams or {})
    return HTTPRequest(
        inputs.method,
        parts.path,
        query=query,
        headers=dict(inputs.headers or {}),
        json=inputs.data,
        response_type=inputs.responseType,
    )


@PACK.component(
    key="rawRequest",
    title="Raw Request",
    description=(
        "Send any request to the Sage 200 API with the connection's credentials and site "
        "headers; the url is a path below the API base."
    ),
    inputs=RawRequestInputs,
    output=RawResponse,
    annotations=WRITE,
    example_input={
        "method": "GET",
        "url": "/customers",
        "queryParams": {"$top": "1", "$select": "id,reference,name"},
    },
    example_output={
        "status": 200,
        "headers": {"content-type": "application/json"},
        "body": [{"id": 27825, "reference": "ABB001", "name": "Abbey Retail Ltd"}],
    },
)
def raw_request(inputs: RawRequestInputs) -> Action:
    response = yield build_request(inputs)
    return {
        "status": response.status,
        "headers": dict(response.headers),
        "body": _body(response, inputs.responseType),
    }


def _body(response: HTTPResponse, response_type: str) -> Any:
    # JSON through the pack's reader, so an amount keeps its digits (not a float); text when
    # the body is not JSON, as the shared reader does.
    if response_type != "json":
        return read_body(response, response_type)
    try:
        return read(response)
    except ValueError:
        return response.text
