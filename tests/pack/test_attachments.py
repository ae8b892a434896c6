"""Attachments: a file given as a path, bytes or base64 is checked before anything is sent
(Sage's size limit and types), sent as postAttachments' base64 ``file``, and read back; the CLI
reads ``-i file=@PATH`` as bytes."""

from __future__ import annotations

import base64
import io
import json
import os
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from packkit import first, run

from sage_accounting._markers import marker_text
from sage_accounting.attachments import MAX_FILE_BYTES, AttachmentMarker
from sage_accounting.connection import PROFILE
from sage_accounting.sandbox import DEV_TOKEN, Clock, Sandbox
from sageflow import CallOptions, HTTPRequest, HTTPResponse, get_component, open_client
from sageflow._cli import cli
from sageflow._errors import InputValidationError
from sageflow._http import Client, Connection, RetryPolicy

PDF = b"%PDF-1.4\n%\xc7\xec\x8f\xa2\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20
ON = {"attachmentContextTypeId": "PURCHASE_INVOICE", "attachmentContextId": "b4c3d2e1f0a94b8c"}
CREATE = get_component("sage_accounting/createAttachment")


def _problems(inputs: dict[str, object]) -> list[str]:
    with pytest.raises(InputValidationError) as caught:
        CREATE.validate(inputs)
    return [str(p) for p in caught.value.problems]


def test_bytes_become_postattachments_base64_file_with_its_size_and_type() -> None:
    post = first("createAttachment", {"file": PDF, "fileName": "Bill.PDF", **ON})
    assert (post.method, post.path) == ("POST", "/attachments")
    assert post.json == {
        "attachment": {
            "file_name": "Bill.PDF",
            "file": base64.b64encode(PDF).decode(),
            "attachment_context_type_id": "PURCHASE_INVOICE",
            "attachment_context_id": "b4c3d2e1f0a94b8c",
            "mime_type": "application/pdf",
            "file_extension": ".pdf",
            "file_size": len(PDF),
        }
    }


def test_a_path_is_read_and_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    path.write_bytes(PNG)
    post = first("createAttachment", {"file": path, "transactionId": "t1"})
    body = post.json["attachment"]
    assert (body["file_name"], body["mime_type"], body["file_size"]) == (
        "scan.png",
        "image/png",
        len(PNG),
    )
    assert base64.b64decode(body["file"]) == PNG


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        pytest.param(
            {"file": PDF + b"0" * (MAX_FILE_BYTES - len(PDF) + 1), "fileName": "big.pdf"},
            "$.file: expected at most 2,621,440 bytes",
            id="over-sages-limit",
        ),
        pytest.param(
            {"file": b"<html></html>", "fileName": "page.html"},
            "$.file: expected a mimeType for 'page.html'",
            id="unknown-extension",
        ),
        pytest.param(
            {"file": b"<html></html>", "fileName": "x.html", "mimeType": "text/html"},
            "$.file: expected a type Sage takes (PDF, JPEG, PNG, GIF, XLSX), got 'text/html'",
            id="type-sage-refuses",
        ),
        pytest.param(
            {"file": PNG, "fileName": "renamed.pdf"},
            "$.file: expected a PDF file (application/pdf), got bytes that are not one",
            id="renamed-file",
        ),
        pytest.param(
            {"file": PDF, "fileName": "bill.pdf", "mimeType": "image/png"},
            "$.file: expected a PNG file's name to end .png, got 'bill.pdf'",
            id="name-and-type-disagree",
        ),
        pytest.param(
            {"file": "not base64!", "fileName": "bill.pdf"},
            "$.file: expected the file as base64 text",
            id="not-base64",
        ),
        pytest.param({"file": b"", "fileName": "bill.pdf"}, "$.file: ", id="empty"),
    ],
)
def test_a_file_sage_would_refuse_is_refused_before_sending(
    inputs: dict[str, object], expected: str
) -> None:
    problems = _problems({**inputs, **ON})
    assert len(problems) == 1
    assert problems[0].startswith(expected), problems


def test_exactly_sages_limit_is_taken() -> None:
    exact = PDF + b"0" * (MAX_FILE_BYTES - len(PDF))
    post = first("createAttachment", {"file": exact, "fileName": "exact.pdf", **ON})
    assert post.json["attachment"]["file_size"] == MAX_FILE_BYTES


def test_an_attachment_must_say_what_it_is_on() -> None:
    (problem,) = _problems({"file": PDF, "fileName": "a.pdf"})
    assert "attachmentContextId or transactionId" in problem
    (half,) = _problems({"file": PDF, "fileName": "a.pdf", "attachmentContextId": "x"})
    assert "together" in half


def test_a_missing_path_is_named(tmp_path: Path) -> None:
    (problem,) = _problems({"file": tmp_path / "gone.pdf", **ON})
    assert "gone.pdf: no such file" in problem


def test_download_asks_for_octet_stream_and_returns_base64() -> None:
    answer = HTTPResponse(200, {"content-type": "application/pdf"}, PDF)
    sent, out = run("downloadAttachmentFile", {"attachmentId": "a-1"}, [answer])
    assert (sent[0].path, sent[0].response_type) == ("/attachments/a-1/file", "binary")
    assert out == {
        "id": "a-1",
        "file": base64.b64encode(PDF).decode(),
        "fileSize": len(PDF),
        "mimeType": "application/pdf",
    }


def test_a_file_goes_on_a_credit_note_and_comes_back_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("SAGEFLOW_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(tmp_path))
    with open_client(pack="sage_accounting", stderr=io.StringIO()) as client:
        customer = client.call("sage_accounting/findContact", {"reference": "ACME001"})
        account = client.call(
            "sage_accounting/listLedgerAccounts", {"visible_in": "sales", "itemsPerPage": 1}
        )
        note = client.call(
            "sage_accounting/createSalesCreditNote",
            {
                "contactId": customer["items"][0]["id"],
                "date": "2026-04-07",
                "creditNoteLines": [
                    {
                        "description": "Refund",
                        "ledgerAccountId": account["items"][0]["id"],
                        "quantity": "1",
                        "unitPrice": "10.00",
                        "taxRateId": "GB_STANDARD",
                    }
                ],
            },
        )
        on_note = {
            "attachmentContextTypeId": "SALES_CREDIT_NOTE",
            "attachmentContextId": note["id"],
        }
        made = client.call(
            "sage_accounting/createAttachment", {"file": PDF, "fileName": "r.pdf", **on_note}
        )
        back = client.call("sage_accounting/downloadAttachmentFile", {"attachmentId": made["id"]})
        listed = client.call("sage_accounting/listAttachments", on_note)
    assert base64.b64decode(back["file"]) == PDF
    assert [item["id"] for item in listed["items"]] == [made["id"]]


def test_the_cli_reads_at_file_as_bytes_and_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("SAGEFLOW_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(tmp_path / "config"))
    (tmp_path / "bill.pdf").write_bytes(PDF)  # not UTF-8: read as bytes, not text
    args = ["call", "createAttachment", "-i", "file=@bill.pdf", "-i", "transactionId=t1"]
    result = CliRunner().invoke(cli, [*args, "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    sent = json.loads(result.stdout)["write"]["body"]["attachment"]
    assert (sent["file_name"], sent["file_size"]) == ("bill.pdf", len(PDF))
    assert base64.b64decode(sent["file"]) == PDF
    (tmp_path / "fake.pdf").write_bytes(b"<html>")
    refused = CliRunner().invoke(cli, ["call", "createAttachment", "-i", "file=@fake.pdf"])
    assert refused.exit_code == 2
    assert "$.file: expected a PDF file" in refused.output
    missing = CliRunner().invoke(cli, ["call", "createAttachment", "-i", "file=@nope.pdf"])
    assert (missing.exit_code, "no such file" in missing.output) == (2, True)


# --- exactly once: an upload whose answer is lost is found on its record, not made twice -------


def _dropping_first_post(sandbox: Sandbox) -> httpx.MockTransport:
    inner = sandbox.transport()
    posts = 0

    def handle(request: httpx.Request) -> httpx.Response:
        nonlocal posts
        response = inner.handle_request(request)
        if request.method == "POST" and request.url.path.endswith("/attachments"):
            posts += 1
            if posts == 1:
                response.read()
                raise httpx.ReadError("connection dropped after commit", request=request)
        return response

    return httpx.MockTransport(handle)


def _client(transport: httpx.BaseTransport, sandbox: Sandbox) -> Client:
    return Client(
        Connection.with_token(sandbox.api_base, DEV_TOKEN, PROFILE),
        transport=transport,
        sleep=lambda _seconds: None,
        retry=RetryPolicy(random=lambda: 0.0),
    )


@pytest.mark.parametrize(
    ("description", "shown"),
    [
        pytest.param(None, marker_text("k-up"), id="marker-in-the-empty-description"),
        pytest.param("Signed copy", "Signed copy", id="own-description"),
    ],
)
def test_an_upload_whose_answer_was_lost_is_adopted_not_attached_twice(
    description: str | None, shown: str
) -> None:
    sandbox = Sandbox(clock=Clock.manual())
    invoice = next(i for i in sandbox.records("sales_invoices") if i["status"]["id"] == "UNPAID")
    # An earlier, different file on the same invoice is never taken for this one.
    on = {"attachmentContextTypeId": "SALES_INVOICE", "attachmentContextId": invoice["id"]}
    with _client(sandbox.transport(), sandbox) as client:
        client.call("sage_accounting/createAttachment", {"file": PNG, "fileName": "o.png", **on})
    inputs = {"file": PDF, "fileName": "bill.pdf", **on}
    if description is not None:
        inputs["description"] = description
    with _client(_dropping_first_post(sandbox), sandbox) as client:
        out = client.call("sage_accounting/createAttachment", inputs, CallOptions("k-up"))
    pdfs = [a for a in sandbox.records("attachments") if a["file_name"] == "bill.pdf"]
    assert [a["id"] for a in pdfs] == [out["id"]]
    assert pdfs[0]["description"] == shown


def test_the_marker_only_covers_an_upload() -> None:
    marker = AttachmentMarker()
    assert marker.mark(HTTPRequest("PUT", "/attachments/a", json={"attachment": {}}), "k") is None
    assert marker.mark(HTTPRequest("POST", "/contacts", json={"contact": {}}), "k") is None
    own = HTTPRequest("POST", "/attachments", json={"attachment": {"description": "Mine"}})
    assert marker.mark(own, "k") is own


FLOW = """
name: attach-a-bill
inputs:
  bill: {type: string, contentEncoding: base64, description: "The file, read as bytes."}
steps:
  - id: customer
    uses: sage_accounting/findContact
    with: {reference: ACME001}
  - id: upload
    uses: sage_accounting/createAttachment
    with:
      file: ${{ inputs.bill }}
      fileName: statement.pdf
      attachmentContextTypeId: CONTACT
      attachmentContextId: ${{ steps.customer.output.items[0].id }}
  - id: back
    uses: sage_accounting/downloadAttachmentFile
    with: {attachmentId: "${{ steps.upload.output.id }}"}
outputs:
  size: ${{ steps.upload.output.file_size }}
  same: ${{ steps.back.output.file == inputs.bill }}
"""


def test_a_flow_input_with_base64_content_reads_at_file_as_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("SAGEFLOW_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(tmp_path / "config"))
    (tmp_path / "attach.sageflow.yaml").write_text(FLOW, encoding="utf-8")
    (tmp_path / "statement.pdf").write_bytes(PDF)
    args = ["run", "attach.sageflow.yaml", "-i", "bill=@statement.pdf", "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    outputs = json.loads(result.stdout.strip().splitlines()[-1])["outputs"]
    assert outputs == {"size": len(PDF), "same": True}
