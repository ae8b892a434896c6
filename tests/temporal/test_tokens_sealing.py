"""Tokens on Temporal are sealed: a wrong key, another connection or a damaged blob is refused."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from sageflow._http._tokens import TokenSet
from sageflow._temporal._tokens import (
    Sealer,
    TokenKeyError,
    fingerprint,
    new_token_key,
    token_key,
)

TOKENS = TokenSet("access-abc", "refresh-def", 1_900_000_000.0, scope="full_access")


def test_sealed_tokens_open_with_the_key_and_show_no_credential() -> None:
    sealer = Sealer(token_key({"SAGEFLOW_TOKEN_KEY": new_token_key()}))
    sealed = sealer.seal("live", TOKENS)
    assert "access-abc" not in sealed
    assert "refresh-def" not in base64.urlsafe_b64decode(sealed).decode("latin-1")
    assert sealer.open("live", sealed) == TOKENS
    assert fingerprint("access-abc") != "access-abc"


def test_another_key_or_connection_or_a_flipped_bit_is_refused() -> None:
    key = token_key({"SAGEFLOW_TOKEN_KEY": new_token_key()})
    sealed = Sealer(key).seal("live", TOKENS)
    other = Sealer(token_key({"SAGEFLOW_TOKEN_KEY": new_token_key()}))
    with pytest.raises(TokenKeyError, match="same SAGEFLOW_TOKEN_KEY"):
        other.open("live", sealed)
    with pytest.raises(TokenKeyError):
        Sealer(key).open("other-connection", sealed)  # bound to its connection
    raw = bytearray(base64.urlsafe_b64decode(sealed))
    raw[-1] ^= 1
    with pytest.raises(TokenKeyError):
        Sealer(key).open("live", base64.urlsafe_b64encode(bytes(raw)).decode())


def test_a_missing_or_malformed_key_is_named_never_echoed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(tmp_path))
    with pytest.raises(TokenKeyError, match="set SAGEFLOW_TOKEN_KEY"):
        token_key({})
    with pytest.raises(TokenKeyError, match="SAGEFLOW_TOKEN_KEY is not 32 bytes") as caught:
        token_key({"SAGEFLOW_TOKEN_KEY": "too-short-secret"})
    assert "too-short-secret" not in str(caught.value)
    (tmp_path / "token.key").write_text(new_token_key() + "\n")
    assert len(token_key({})) == 32  # the configuration folder's file
