"""Connection kinds a pack declares: what a host must collect to reach the product's API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

#: ``client_credentials``: the connection buys its own bearer with fields it holds (Chift).
AuthKind = Literal["oauth2", "access_token", "client_credentials", "none"]


@dataclass(frozen=True)
class ConnectionSpec:
    """One way to connect to a pack's API.

    ``fields`` is a pydantic model; secret values are ``SecretStr`` fields, which the manifest
    marks ``writeOnly`` with ``format: password`` so that a host renders them as password inputs
    and never echoes them, and which the runner only lets flows bind to those fields.
    """

    key: str
    title: str
    description: str
    auth: AuthKind
    fields: type[BaseModel]

    def secret_fields(self) -> list[str]:
        schema = self.fields.model_json_schema()
        return sorted(
            name
            for name, prop in schema.get("properties", {}).items()
            if prop.get("writeOnly") or prop.get("format") == "password"
        )

    def manifest(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "description": self.description,
            "auth": self.auth,
            "fields": self.fields.model_json_schema(),
            "secretFields": self.secret_fields(),
        }
