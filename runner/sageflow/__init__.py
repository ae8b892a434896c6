"""sageflow: components, a flow runner and a sandbox for Sage accounting.

The public API is re-exported here and loaded lazily, so that importing the package (which the
CLI does before parsing ``--help``) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sageflow._lazy import defer_submodule, lazy_dir, lazy_exports
from sageflow._version import __version__

# CEL's package imports its interactive shell on `import cel`; flows never use it.
defer_submodule("cel.cli")

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
    from sageflow._flows._api import (
        aresume_flow,
        arun_component,
        arun_flow,
        load_flow,
        resume_flow,
        run_component,
        run_flow,
    )
    from sageflow._flows._engine import RunResult, StepResult
    from sageflow._flows._model import Flow
    from sageflow._flows._problems import FlowValidationError, Problem
    from sageflow._http import (
        AsyncClient,
        CallbackTokenStore,
        Client,
        ConfigurationError,
        Connection,
        FileTokenStore,
        Limiter,
        LimitSettings,
        MemoryTokenStore,
        RetryPolicy,
        TokenSet,
        TokenStore,
        open_caller,
        open_client,
        redact,
    )
    from sageflow._options import Option, OptionsError, aoptions, options
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
    "aresume_flow": "sageflow._flows._api",
    "arun_component": "sageflow._flows._api",
    "arun_flow": "sageflow._flows._api",
    "load_flow": "sageflow._flows._api",
    "resume_flow": "sageflow._flows._api",
    "run_component": "sageflow._flows._api",
    "run_flow": "sageflow._flows._api",
    "RunResult": "sageflow._flows._engine",
    "StepResult": "sageflow._flows._engine",
    "Flow": "sageflow._flows._model",
    "FlowValidationError": "sageflow._flows._problems",
    "Problem": "sageflow._flows._problems",
    "AsyncClient": "sageflow._http",
    "Client": "sageflow._http",
    "Connection": "sageflow._http",
    "CallbackTokenStore": "sageflow._http",
    "FileTokenStore": "sageflow._http",
    "MemoryTokenStore": "sageflow._http",
    "TokenSet": "sageflow._http",
    "TokenStore": "sageflow._http",
    "RetryPolicy": "sageflow._http",
    "LimitSettings": "sageflow._http",
    "Limiter": "sageflow._http",
    "redact": "sageflow._http",
    "open_caller": "sageflow._http",
    "open_client": "sageflow._http",
    "ConfigurationError": "sageflow._http",
    "components": "sageflow._registry",
    "get_component": "sageflow._registry",
    "packs": "sageflow._registry",
    "register_pack": "sageflow._registry",
    "Option": "sageflow._options",
    "OptionsError": "sageflow._options",
    "aoptions": "sageflow._options",
    "options": "sageflow._options",
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
    "AsyncClient",
    "AuthenticationError",
    "CallOptions",
    "CallbackTokenStore",
    "Caller",
    "Client",
    "Component",
    "ConfigurationError",
    "Connection",
    "ConnectionSpec",
    "FieldProblem",
    "FileTokenStore",
    "Flow",
    "FlowValidationError",
    "HTTPRequest",
    "HTTPResponse",
    "InputValidationError",
    "Inputs",
    "LimitSettings",
    "Limiter",
    "MemoryTokenStore",
    "NotFoundError",
    "Option",
    "OptionsError",
    "Pack",
    "Problem",
    "RateLimitedError",
    "ReauthorizationRequiredError",
    "RetryOverride",
    "RetryPolicy",
    "RunResult",
    "SageflowError",
    "ServerError",
    "StepResult",
    "TokenSet",
    "TokenStore",
    "UnsafeRequestError",
    "UploadFile",
    "__version__",
    "adrive",
    "aoptions",
    "aresume_flow",
    "arun_component",
    "arun_flow",
    "components",
    "drive",
    "get_component",
    "load_flow",
    "open_caller",
    "open_client",
    "options",
    "packs",
    "redact",
    "register_pack",
    "resume_flow",
    "run_component",
    "run_flow",
]


__getattr__ = lazy_exports(__name__, _EXPORTS)
__dir__ = lazy_dir(__name__, _EXPORTS)
