"""Sealed payloads: what sageflow puts in Temporal's history is encrypted (AES-GCM) given a key.

A workflow's history is a store at rest on the cluster: the run's inputs, every step's inputs
and outputs, errors. With ``SAGEFLOW_TEMPORAL_KEY`` (the same on the starter and on every
worker) each payload is sealed before it leaves the process and opened when it comes back, as
Temporal's own encryption guidance does with a payload codec; the cluster sees only ciphertext.
A flow with secret inputs is refused on Temporal without a key.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import os
from collections.abc import Mapping, Sequence

from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter, PayloadCodec

from sageflow._errors import SageflowError

KEY_ENV = "SAGEFLOW_TEMPORAL_KEY"
_ENCODING = b"binary/sageflow-sealed"
_NONCE = 12


class SealingKeyError(SageflowError):
    """``SAGEFLOW_TEMPORAL_KEY`` is not a key, or a payload cannot be opened with it."""


def new_key() -> str:
    """A fresh key for ``SAGEFLOW_TEMPORAL_KEY``: 32 random bytes, URL-safe base64."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")


def key_from_env(environ: Mapping[str, str] | None = None) -> bytes | None:
    """The sealing key, or None when ``SAGEFLOW_TEMPORAL_KEY`` is unset."""
    env = os.environ if environ is None else environ
    text = env.get(KEY_ENV, "").strip()
    if not text:
        return None
    try:
        key = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        # Never the value itself: it is a secret, even a malformed one.
        raise SealingKeyError(
            f"{KEY_ENV} is not a key (expected 32 bytes in URL-safe base64, such as"
            " sageflow._temporal._codec.new_key() prints)"
        )
    return key


class SealingCodec(PayloadCodec):
    """AES-GCM over each serialized payload; a fresh 12-byte nonce per payload."""

    def __init__(self, key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._aead = AESGCM(key)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        sealed = []
        for payload in payloads:
            nonce = os.urandom(_NONCE)
            data = nonce + self._aead.encrypt(nonce, payload.SerializeToString(), None)
            sealed.append(Payload(metadata={"encoding": _ENCODING}, data=data))
        return sealed

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        from cryptography.exceptions import InvalidTag

        opened = []
        for payload in payloads:
            if payload.metadata.get("encoding") != _ENCODING:
                opened.append(payload)  # written without a key (or by another client)
                continue
            nonce, body = payload.data[:_NONCE], payload.data[_NONCE:]
            try:
                plain = self._aead.decrypt(nonce, body, None)
            except InvalidTag:
                raise SealingKeyError(
                    f"a sealed payload does not open with this {KEY_ENV}: the starter and"
                    " every worker need the same key"
                ) from None
            opened.append(Payload.FromString(plain))
        return opened


def data_converter(environ: Mapping[str, str] | None = None) -> DataConverter:
    """Temporal's default converter, sealing payloads when a key is set."""
    key = key_from_env(environ)
    if key is None:
        return DataConverter.default
    return dataclasses.replace(DataConverter.default, payload_codec=SealingCodec(key))
