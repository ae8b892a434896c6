"""sageflow: components, a flow runner and a sandbox for Sage accounting.

The public API is re-exported here and loaded lazily, so that importing the package (which the
CLI does before parsing ``--help``) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sageflow._version import __version__

if TYPE_CHECKING:
    from sageflow._component import (
        DESTRUCTIVE,
        IDEMPOTENT_WRITE,
        READ_ONLY,
        WRITE,
        Action,
        Annotations,
        Component,
        Inputs,
        Pack,
    )
    from sageflow._connection import ConnectionSpec
    from sageflow._errors import (
        APIError,
        APIErrorEntry,
        AuthenticationError,
        FieldProblem,
        InputValidationError,
        NotFoundError,
        RateLimitedError,
        ReauthorizationRequiredError,
        SageflowError,
        ServerError,
        UnsafeRequestError,
    )
    from sageflow._execute import Caller, CallOptions, adrive, drive
    from sageflow._registry import components, get_component, packs, register_pack
    from sageflow._values import HTTPRequest, HTTPResponse, RetryOverride, UploadFile

_EXPORTS: dict[str, str] = {
    "Action": "sageflow._component",
    "Annotations": "sageflow._component",
    "Component": "sageflow._component",
    "DESTRUCTIVE": "sageflow._component",
    "IDEMPOTENT_WRITE": "sageflow._component",
    "Inputs": "sageflow._component",
    "Pack": "sageflow._component",
    "READ_ONLY": "sageflow._component",
    "WRITE": "sageflow._component",
    "ConnectionSpec": "sageflow._connection",
    "APIError": "sageflow._errors",
    "APIErrorEntry": "sageflow._errors",
    "AuthenticationError": "sageflow._errors",
    "FieldProblem": "sageflow._errors",
    "InputValidationError": "sageflow._errors",
    "NotFoundError": "sageflow._errors",
    "RateLimitedError": "sageflow._errors",
    "ReauthorizationRequiredError": "sageflow._errors",
    "SageflowError": "sageflow._errors",
    "ServerError": "sageflow._errors",
    "UnsafeRequestError": "sageflow._errors",
    "Caller": "sageflow._execute",
    "CallOptions": "sageflow._execute",
    "adrive": "sageflow._execute",
    "drive": "sageflow._execute",
    "components": "sageflow._registry",
    "get_component": "sageflow._registry",
    "packs": "sageflow._registry",
    "register_pack": "sageflow._registry",
    "HTTPRequest": "sageflow._values",
    "HTTPResponse": "sageflow._values",
    "RetryOverride": "sageflow._values",
    "UploadFile": "sageflow._values",
}

__all__ = [
    "DESTRUCTIVE",
    "IDEMPOTENT_WRITE",
    "READ_ONLY",
    "WRITE",
    "APIError",
    "APIErrorEntry",
    "Action",
    "Annotations",
    "AuthenticationError",
    "CallOptions",
    "Caller",
    "Component",
    "ConnectionSpec",
    "FieldProblem",
    "HTTPRequest",
    "HTTPResponse",
    "InputValidationError",
    "Inputs",
    "NotFoundError",
    "Pack",
    "RateLimitedError",
    "ReauthorizationRequiredError",
    "RetryOverride",
    "SageflowError",
    "ServerError",
    "UnsafeRequestError",
    "UploadFile",
    "__version__",
    "adrive",
    "components",
    "drive",
    "get_component",
    "packs",
    "register_pack",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sageflow' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
