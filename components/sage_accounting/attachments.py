"""Attachments (``/attachments``): files on invoices, credit notes, quotes, contacts and bank
transactions; list, get, upload, update, delete and download.

Sage takes the file inside the JSON body, base64-encoded (``postAttachments``: ``file``,
``file_name`` and ``mime_type`` required). The size and type are checked here, before anything
is sent, against what Sage documents:

- size: ``file_size`` "maximum 2621440" bytes (2.5 MiB; swagger.attachments.json of Sage's 2025
  per-area spec), the "maximum file size is 2.5MB" of Sage's help;
- type: PDF, JPG and PNG ("choose from either a pdf, jpg or png file", Sage's Attachments guide,
  developer.sage.com/accounting/guides/concepts/attachments), GIF (Sage's help lists PDF, GIF,
  JPG, JPEG, PNG), and XLSX, which Sage's own example attachment was uploaded as "via the API"
  (attachments__get_one__sage-swagger-2025-example.json). The declared type must also be what
  the bytes are (their signature) and what the file name's extension says, so a renamed file
  is refused here rather than stored by Sage as something it is not.

In Python the file is a path or bytes; in a flow or a host it is base64 text; on the command
line ``sageflow call createAttachment -i file=@invoice.pdf`` reads the file (and its name).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Generator
from dataclasses import dataclass, replace
from pathlib import PurePath
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sage_accounting._actions import (
    attributes_query,
    delete_one,
    get_one,
    list_of,
    record_path,
    write_one,
)
from sage_accounting._changes import changes_trigger
from sage_accounting._lookups import ATTACHMENTS, TRANSACTIONS, AttachmentContextTypeId
from sage_accounting._markers import marker_text
from sage_accounting._models import (
    Bool,
    ChangeTrackingInputs,
    DeleteOutput,
    Id,
    ListOutput,
    optional,
    page_of,
    required_id,
)
from sage_accounting._pack import PACK
from sage_accounting._resources import Attachment
from sage_accounting._wire import fields, split_relative
from sageflow._component import DESTRUCTIVE, IDEMPOTENT_WRITE, READ_ONLY, WRITE, Action, Inputs
from sageflow._files import LocalFileError, read_bytes_bounded
from sageflow._values import HTTPRequest, HTTPResponse, QueryValue

#: postAttachments ``file_size``: "minimum 0, maximum 2621440" (swagger.attachments.json).
MAX_FILE_BYTES = 2_621_440


@dataclass(frozen=True)
class FileType:
    """A type Sage takes: the extensions it is named with and how its bytes begin."""

    label: str
    extensions: tuple[str, ...]
    signatures: tuple[bytes, ...]


#: MIME type -> the file type (sources in the module docstring). XLSX is a ZIP container.
FILE_TYPES: dict[str, FileType] = {
    "application/pdf": FileType("PDF", (".pdf",), (b"%PDF-",)),
    "image/jpeg": FileType("JPEG", (".jpg", ".jpeg"), (b"\xff\xd8\xff",)),
    "image/png": FileType("PNG", (".png",), (b"\x89PNG\r\n\x1a\n",)),
    "image/gif": FileType("GIF", (".gif",), (b"GIF87a", b"GIF89a")),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": FileType(
        "XLSX", (".xlsx",), (b"PK\x03\x04",)
    ),
}
_BY_EXTENSION = {ext: mime for mime, kind in FILE_TYPES.items() for ext in kind.extensions}


def file_problem(content: bytes, file_name: str, mime_type: str) -> str | None:
    """Why Sage would not take ``content`` as ``file_name`` of type ``mime_type``, or None.

    One rule for the pack (before sending) and the sandbox (on receipt).
    """
    if not content:
        return "expected a file, got an empty one"
    if len(content) > MAX_FILE_BYTES:
        return (
            f"expected at most {MAX_FILE_BYTES:,} bytes (Sage's 2.5 MiB limit, postAttachments "
            f"file_size), got {len(content):,} bytes"
        )
    kind = FILE_TYPES.get(mime_type)
    if kind is None:
        known = ", ".join(k.label for k in FILE_TYPES.values())
        return f"expected a type Sage takes ({known}), got {mime_type!r}"
    extension = PurePath(file_name).suffix.lower()
    if extension not in kind.extensions:
        ends = " or ".join(kind.extensions)
        return f"expected a {kind.label} file's name to end {ends}, got {file_name!r}"
    if not content.startswith(kind.signatures):
        return f"expected a {kind.label} file ({mime_type}), got bytes that are not one"
    return None


def _to_base64(raw: Any) -> Any:
    # Python callers pass bytes or a path; both become the base64 text Sage's body carries.
    if isinstance(raw, PurePath):
        try:
            raw = read_bytes_bounded(raw, MAX_FILE_BYTES)  # type: ignore[arg-type]
        except LocalFileError as error:
            raise ValueError(f"{raw}: {error}") from None
    if isinstance(raw, bytes | bytearray):
        return base64.b64encode(bytes(raw)).decode("ascii")
    return raw


def decoded(text: str) -> bytes:
    """The bytes of base64 ``text`` (padding and alphabet checked), or ValueError."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValueError(
            "expected the file as base64 text (or bytes or a path in Python)"
        ) from None


class CreateAttachmentInputs(Inputs):
    fileName: str = Field(
        description="The file's name, with its extension (Python: taken from a path).",
        examples=["INV-5521.pdf"],
        min_length=1,
        max_length=255,
    )
    mimeType: str | None = optional(
        "The file's MIME type (default: from the name's extension).", "application/pdf"
    )
    file: str = Field(
        description=(
            "The file, base64-encoded (Python: bytes or a path; the CLI: -i file=@PATH). PDF, "
            "JPEG, PNG, GIF or XLSX, at most 2,621,440 bytes; checked before sending."
        ),
        examples=["JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK"],
        min_length=1,
        json_schema_extra={"contentEncoding": "base64", "x-sageflow-file-name": "fileName"},
    )
    description: str | None = optional("What the file is.", "Supplier's invoice, scanned")
    attachmentContextTypeId: AttachmentContextTypeId | None = optional(
        "What kind of record it goes on (with attachmentContextId).", "PURCHASE_INVOICE"
    )
    attachmentContextId: Id | None = optional(
        "The record it goes on: an invoice, credit note, quote, contact, bank transfer, ...",
        "b4c3d2e1f0a94b8c7d6e5f4a3b2c1d0e",
    )
    transactionId: Id | None = optional(
        "Or the transaction it goes on (a bank transaction's, an invoice's).",
        "cc10fd875aa64816b9bbba2a0768bf3a",
        json_schema_extra=TRANSACTIONS,
    )
    isPublic: Bool | None = optional("Show it to the customer.", False)

    @model_validator(mode="before")
    @classmethod
    def _name_from_path(cls, raw: Any) -> Any:
        if (
            isinstance(raw, dict)
            and isinstance(raw.get("file"), PurePath)
            and "fileName" not in raw
        ):
            return {**raw, "fileName": raw["file"].name}
        return raw

    @field_validator("file", mode="before")
    @classmethod
    def _file_as_base64(cls, raw: Any) -> Any:
        return _to_base64(raw)

    @field_validator("file")
    @classmethod
    def _file_is_taken(cls, value: str, info: ValidationInfo) -> str:
        content = decoded(value)
        name = info.data.get("fileName")
        if name is None:  # the name was refused already; that error says why
            return value
        mime = info.data.get("mimeType") or mime_type_of(name)
        if not mime:
            raise ValueError(
                f"expected a mimeType for {name!r}, got none (no type is known for its extension)"
            )
        problem = file_problem(content, name, mime)
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _owner(self) -> CreateAttachmentInputs:
        if (self.attachmentContextTypeId is None) != (self.attachmentContextId is None):
            raise ValueError(
                "expected attachmentContextTypeId and attachmentContextId together, got one"
            )
        if self.attachmentContextId is None and self.transactionId is None:
            raise ValueError(
                "expected what the file goes on (attachmentContextId or transactionId), got neither"
            )
        return self

    def mime_type(self) -> str:
        return self.mimeType or mime_type_of(self.fileName)


def mime_type_of(file_name: str) -> str:
    """The MIME type Sage takes for a name's extension, or "" for none."""
    return _BY_EXTENSION.get(PurePath(file_name).suffix.lower(), "")


_EXAMPLE_ID = "d60f376f-0165-4bd5-b06c-5c54b4ca606a"
_INVOICE_ID = "b4c3d2e1f0a94b8c7d6e5f4a3b2c1d0e"
# The shape of attachments__get_one__sage-swagger-2025-example.json.
_EXAMPLE: dict[str, Any] = {
    "id": _EXAMPLE_ID,
    "displayed_as": "Supplier's invoice, scanned",
    "$path": f"/attachments/{_EXAMPLE_ID}",
    "mime_type": "application/pdf",
    "description": "Supplier's invoice, scanned",
    "file_extension": ".pdf",
    "transaction": None,
    "file_size": 54,
    "file_name": "INV-5521.pdf",
    "$file_path": f"/attachments/{_EXAMPLE_ID}/file",
    "attachment_context_type": {
        "id": "PURCHASE_INVOICE",
        "displayed_as": "Purchase Invoice",
        "$path": "/attachment_context_types/PURCHASE_INVOICE",
    },
    "attachment_context": {
        "id": _INVOICE_ID,
        "displayed_as": "INV-5521",
        "$path": f"/purchase_invoices/{_INVOICE_ID}",
    },
    "is_public": False,
    "created_at": "2026-03-10T09:00:00Z",
    "updated_at": "2026-03-10T09:00:00Z",
}


def _path(key: str = "") -> str:
    return record_path("attachments", key) if key else "/attachments"


def _attachment_id() -> Any:
    return required_id("attachment", _EXAMPLE_ID, json_schema_extra=ATTACHMENTS)


class AttachmentMarker:
    """How an upload whose answer was lost is found again instead of attached twice.

    Sage's idempotency_id does not cover attachments ([G-idem] does not list them) and
    /attachments has no ``search``, so the file is looked for in its record's own list
    (``attachment_context_id``, every page) by its name, size and description; a description
    the caller left empty carries the marker, so an earlier upload of the same file is never
    taken for this one. With the caller's own description, an identical file already on the
    same record (name, size and description) is adopted: the record then has that file once.
    """

    def mark(self, request: HTTPRequest, token: str) -> HTTPRequest | None:
        inner = _upload(request)
        if inner is None:
            return None
        if inner.get("description"):
            return request
        return replace(request, json={"attachment": {**inner, "description": marker_text(token)}})

    def find(
        self, request: HTTPRequest, token: str
    ) -> Generator[HTTPRequest, HTTPResponse, HTTPResponse | None]:
        inner = _upload(request)
        if inner is None:
            return None
        wanted = {k: inner.get(k) for k in ("file_name", "file_size", "description")}
        path = "/attachments"
        query: dict[str, QueryValue] = {
            "attributes": ",".join(sorted(wanted)),
            "items_per_page": 200,
            **{k: str(inner[k]) for k in _CONTEXT if inner.get(k)},
        }
        while True:
            page = (yield HTTPRequest("GET", path, query=query)).json() or {}
            for item in page.get("$items", []):
                if all(item.get(k) == v for k, v in wanted.items()):
                    record = yield HTTPRequest("GET", _path(str(item["id"])))
                    return HTTPResponse(201, dict(record.headers), record.content)
            link = page.get("$next")
            if not link:
                return None
            path, query = split_relative(str(link))  # type: ignore[assignment]


_CONTEXT = ("attachment_context_type_id", "attachment_context_id")


def _upload(request: HTTPRequest) -> dict[str, Any] | None:
    body = request.json
    inner = body.get("attachment") if isinstance(body, dict) else None
    if request.method != "POST" or request.path.rstrip("/") != "/attachments":
        return None
    return inner if isinstance(inner, dict) else None


@PACK.component(
    key="createAttachment",
    title="Create Attachment",
    description=(
        "Attach a file (PDF, JPEG, PNG, GIF or XLSX, at most 2.5 MiB, checked before sending) "
        "to an invoice, credit note, quote, contact or bank transaction (POST /attachments)."
    ),
    inputs=CreateAttachmentInputs,
    output=Attachment,
    annotations=WRITE,
    marker=AttachmentMarker(),
    example_input={
        "file": "JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK",
        "fileName": "INV-5521.pdf",
        "description": "Supplier's invoice, scanned",
        "attachmentContextTypeId": "PURCHASE_INVOICE",
        "attachmentContextId": _INVOICE_ID,
    },
    example_output=_EXAMPLE,
)
def create_attachment(inputs: CreateAttachmentInputs) -> Action:
    payload = fields(inputs)
    name = PurePath(inputs.fileName)
    # Sage's example carries the extension with its dot (".xlsx") and the size in bytes.
    payload.update(
        mime_type=inputs.mime_type(),
        file_extension=name.suffix.lower(),
        file_size=len(decoded(inputs.file)),
    )
    return (yield from write_one("POST", _path(), "attachment", payload))


class ListAttachmentsInputs(ChangeTrackingInputs):
    attachmentContextTypeId: AttachmentContextTypeId | None = optional(
        "Only attachments on this kind of record.", "SALES_INVOICE"
    )
    attachmentContextId: Id | None = optional(
        "Only attachments on this record.", "3f8e2a1b7c6d4e5f9a0b1c2d3e4f5a6b"
    )


@PACK.component(
    key="listAttachments",
    title="List Attachments",
    description=(
        "List attachments (GET /attachments), one page or every page; filter by the record "
        "they are on. Sage advises the default page size, attachments being large."
    ),
    inputs=ListAttachmentsInputs,
    output=ListOutput[Attachment],
    annotations=READ_ONLY,
    example_input={
        "attachmentContextTypeId": "PURCHASE_INVOICE",
        "attachmentContextId": _INVOICE_ID,
    },
    example_output=page_of(_EXAMPLE),
)
def list_attachments(inputs: ListAttachmentsInputs) -> Action:
    return (yield from list_of(_path(), inputs))


class GetAttachmentInputs(Inputs):
    attachmentId: Id = _attachment_id()
    attributes: str | None = optional("Extra fields to return, or `all`.", "all")


@PACK.component(
    key="getAttachment",
    title="Get Attachment",
    description="Fetch one attachment's details by id (GET /attachments/{key}).",
    inputs=GetAttachmentInputs,
    output=Attachment,
    annotations=READ_ONLY,
    example_input={"attachmentId": _EXAMPLE_ID},
    example_output=_EXAMPLE,
)
def get_attachment(inputs: GetAttachmentInputs) -> Action:
    query = attributes_query(inputs, "attributes")
    return (yield from get_one(_path(inputs.attachmentId), query))


class UpdateAttachmentInputs(Inputs):
    attachmentId: Id = _attachment_id()
    description: str | None = optional("What the file is.", "Supplier's invoice, signed copy")
    isPublic: Bool | None = optional("Show it to the customer.", True)


@PACK.component(
    key="updateAttachment",
    title="Update Attachment",
    description="Change an attachment's description or visibility (PUT /attachments/{key}).",
    inputs=UpdateAttachmentInputs,
    output=Attachment,
    annotations=IDEMPOTENT_WRITE,
    example_input={"attachmentId": _EXAMPLE_ID, "description": "Supplier's invoice, signed copy"},
    example_output={**_EXAMPLE, "description": "Supplier's invoice, signed copy"},
)
def update_attachment(inputs: UpdateAttachmentInputs) -> Action:
    key = inputs.attachmentId
    payload = fields(inputs, exclude=("attachmentId",))
    return (yield from write_one("PUT", _path(key), "attachment", payload))


class AttachmentKey(Inputs):
    attachmentId: Id = _attachment_id()


@PACK.component(
    key="deleteAttachment",
    title="Delete Attachment",
    description="Delete an attachment for good (DELETE /attachments/{key}).",
    inputs=AttachmentKey,
    output=DeleteOutput,
    annotations=DESTRUCTIVE,
    example_input={"attachmentId": _EXAMPLE_ID},
    example_output={"id": _EXAMPLE_ID, "deleted": True},
)
def delete_attachment(inputs: AttachmentKey) -> Action:
    key = inputs.attachmentId
    return (yield from delete_one(key, _path(key)))


class AttachmentFile(BaseModel):
    """An attachment's file, as downloaded."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="The attachment's id.")
    file: str = Field(description="The file's bytes, base64-encoded.")
    fileSize: int = Field(description="The file's size in bytes.")
    mimeType: str | None = Field(description="The Content-Type Sage sent it with.")


@PACK.component(
    key="downloadAttachmentFile",
    title="Download Attachment File",
    description=(
        "Download an attachment's file (GET /attachments/{key}/file, Accept: "
        "application/octet-stream), base64-encoded in the output."
    ),
    inputs=AttachmentKey,
    output=AttachmentFile,
    annotations=READ_ONLY,
    example_input={"attachmentId": _EXAMPLE_ID},
    example_output={
        "id": _EXAMPLE_ID,
        "file": "JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK",
        "fileSize": 54,
        "mimeType": "application/pdf",
    },
)
def download_attachment_file(inputs: AttachmentKey) -> Action:
    key = inputs.attachmentId
    # [G-mig]: "GET /attachments/{id}/file needs Accept: application/octet-stream"; a binary
    # response type is how a handler asks the HTTP layer for exactly that header.
    response = yield HTTPRequest("GET", f"{_path(key)}/file", response_type="binary")
    return {
        "id": key,
        "file": base64.b64encode(response.content).decode("ascii"),
        "fileSize": len(response.content),
        "mimeType": response.header("content-type"),
    }


class AttachmentChangeFilters(Inputs):
    attachmentContextTypeId: AttachmentContextTypeId | None = optional(
        "Only attachments on this kind of record.", "SALES_INVOICE"
    )
    attachmentContextId: Id | None = optional(
        "Only attachments on this record.", "3f8e2a1b7c6d4e5f9a0b1c2d3e4f5a6b"
    )


ATTACHMENT_CHANGES = changes_trigger(
    "attachment", "/attachments", Attachment, filters=AttachmentChangeFilters, example=_EXAMPLE
)
