"""rawRequest: any Sage endpoint the pack has no component for, kept inside the API base."""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sage_accounting._models import Bool, Int, optional
from sage_accounting._pack import PACK
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
from sageflow._values import HTTPRequest, QueryValue, RetryOverride, UploadFile

#: Headers the connection owns: letting a flow set them would leak or replace the credentials.
PROTECTED_HEADERS = CREDENTIAL_HEADERS
#: Header names a flow may not set, as a pattern every regex dialect reads alike.
PROTECTED_HEADER_PATTERN = header_pattern(PROTECTED_HEADERS)
_BASE64 = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
Base64 = Annotated[str, Field(pattern=_BASE64)]


class RawRequestInputs(Inputs):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = Field(
        description="The HTTP method.", examples=["GET"]
    )
    url: str = Field(
        description=(
            "A path below the API base (https://api.accounting.sage.com/v3.1), such as "
            "/contacts or /products?search=paper; never a full URL."
        ),
        examples=["/products"],
        json_schema_extra={"pattern": URL_PATTERN},
    )
    data: dict[str, Any] | list[Any] | None = optional(
        "The JSON body, Sage's wrapper included.", {"product": {"description": "Paper"}}
    )
    formData: dict[str, str] | None = optional(
        "Form fields (multipart when fileData is given, urlencoded otherwise).",
        {"description": "Receipt"},
    )
    fileData: dict[str, Base64] | None = optional(
        "Files to upload: form field -> base64 content.", {"file": "aGVsbG8="}
    )
    fileDataFileNames: dict[str, str] | None = optional(
        "File names for fileData: form field -> name.", {"file": "receipt.pdf"}
    )
    headers: dict[str, str] | None = Field(
        default=None,
        description="Extra headers; Authorization and Cookie belong to the connection.",
        examples=[{"X-Business": "a1b2c3d4e5f60718293a4b5c6d7e8f90"}],
        json_schema_extra={"propertyNames": {"not": {"pattern": PROTECTED_HEADER_PATTERN}}},
    )
    queryParams: dict[str, str] | None = optional(
        "Query parameters, added to any in the url.", {"items_per_page": "200"}
    )
    responseType: Literal["json", "text", "binary"] = Field(
        default="json",
        description="How to read the body: json, text, or binary (returned base64).",
        examples=["json"],
    )
    maxRetries: Int | None = optional(
        "Retries on failure (the connection's by default).", 3, ge=0, le=10
    )
    retryDelayMS: Int | None = optional("Delay before a retry, in milliseconds.", 500, ge=0)
    useExponentialBackoff: Bool | None = optional("Double the delay after each retry.", True)
    retryAllErrors: Bool | None = optional(
        "Retry every failure, not only 429, 5xx and network errors.", False
    )
    timeout: Int | None = optional(
        "Give up after this many milliseconds (the connection's timeout by default).",
        30000,
        ge=1,
    )
    debugRequest: Bool = Field(
        default=False,
        description="Log the request and response (credentials redacted).",
        examples=[True],
    )

    @field_validator("url")
    @classmethod
    def _inside_the_api(cls, url: str) -> str:
        return check_url(url, "/contacts")

    @field_validator("headers")
    @classmethod
    def _not_the_credentials(cls, headers: dict[str, str]) -> dict[str, str]:
        return check_headers(headers, PROTECTED_HEADERS)

    @model_validator(mode="after")
    def _one_body(self) -> RawRequestInputs:
        if self.data is not None and (self.formData or self.fileData):
            raise ValueError("give data (JSON) or formData/fileData, not both")
        unknown = set(self.fileDataFileNames or {}) - set(self.fileData or {})
        if unknown:
            raise ValueError(f"fileDataFileNames names fields not in fileData: {sorted(unknown)}")
        return self


class RawResponse(BaseModel):
    """The response as it came: status, headers and the body read as responseType asked."""

    model_config = ConfigDict(extra="forbid")

    status: int = Field(description="The HTTP status.")
    headers: dict[str, str] = Field(description="Response headers.")
    body: Any = Field(description="Parsed JSON, text, or base64 for binary.")


def build_request(inputs: RawRequestInputs) -> HTTPRequest:
    """The request values for the inputs (the url was checked at validation)."""
    parts = urlsplit(ensure_api_path(inputs.url))
    query: dict[str, QueryValue] = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(inputs.queryParams or {})
    names = inputs.fileDataFileNames or {}
    files = [
        UploadFile(field=name, filename=names.get(name, name), content=base64.b64decode(content))
        for name, content in (inputs.fileData or {}).items()
    ]
    retry = None
    retry_inputs = (inputs.maxRetries, inputs.retryDelayMS, inputs.useExponentialBackoff)
    if any(v is not None for v in (*retry_inputs, inputs.retryAllErrors)):
        retry = RetryOverride(
            max_retries=inputs.maxRetries,
            retry_delay=None if inputs.retryDelayMS is None else inputs.retryDelayMS / 1000,
            exponential_backoff=inputs.useExponentialBackoff,
            retry_all_errors=inputs.retryAllErrors,
        )
    return HTTPRequest(
        inputs.method,
        parts.path,
        query=query,
        headers=dict(inputs.headers or {}),
        json=inputs.data,
        form=inputs.formData,
        files=files,
        response_type=inputs.responseType,
        timeout=None if inputs.timeout is None else inputs.timeout / 1000,
        retry=retry,
        debug=inputs.debugRequest,
    )


@PACK.component(
    key="rawRequest",
    title="Raw Request",
    description=(
        "Send any request to the Sage Accounting API with the connection's credentials; the "
        "url is a path below the API base."
    ),
    inputs=RawRequestInputs,
    output=RawResponse,
    annotations=WRITE,
    example_input={"method": "GET", "url": "/products", "queryParams": {"search": "paper"}},
    example_output={
        "status": 200,
        "headers": {"content-type": "application/json"},
        "body": {
            "$total": 0,
            "$page": 1,
            "$next": None,
            "$back": None,
            "$itemsPerPage": 20,
            "$items": [],
        },
    },
)
def raw_request(inputs: RawRequestInputs) -> Action:
    response = yield build_request(inputs)
    return {
        "status": response.status,
        "headers": dict(response.headers),
        "body": read_body(response, inputs.responseType),
    }
