"""Generates ``flow.schema.json`` (draft-07) from the component manifests for editor completion."""

from __future__ import annotations

import copy
from typing import Any

from sageflow._flows._model import (
    DEFAULT_EVERY,
    DEFAULT_RETRY_ON,
    INPUT_TYPES,
    MAX_BATCH,
    ON_ERROR,
    RETRY_KINDS,
)
from sageflow._registry import get_component

SCHEMA_FILE = "flow.schema.json"
EXPRESSION = {"$ref": "#/definitions/expression"}


def _rewrite_refs(node: Any, prefix: str) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
                out[key] = f"#/definitions/{prefix}{value[len('#/$defs/') :]}"
            else:
                out[key] = _rewrite_refs(value, prefix)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v, prefix) for v in node]
    return node


def _accept_expressions(node: Any) -> Any:
    """Let every value (leaf or container) be a ``${{ }}`` string instead."""
    if not isinstance(node, dict):
        return node
    node = dict(node)
    if isinstance(node.get("properties"), dict):
        node["properties"] = {
            k: _either(_accept_expressions(v)) for k, v in node["properties"].items()
        }
    if isinstance(node.get("items"), dict):
        node["items"] = _either(_accept_expressions(node["items"]))
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(node.get(key), list):
            node[key] = [_accept_expressions(v) for v in node[key]]
    if isinstance(node.get("additionalProperties"), dict):
        node["additionalProperties"] = _either(_accept_expressions(node["additionalProperties"]))
    return node


def _either(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, EXPRESSION]}


def build_flow_schema(index: dict[str, Any]) -> dict[str, Any]:
    """The flow-file schema; ``index`` is the manifests index (so it matches the manifests)."""
    definitions: dict[str, Any] = {
        "expression": {
            "type": "string",
            "pattern": r"\$\{\{[\s\S]*\}\}",
            "description": "A CEL expression: ${{ inputs.name }}, ${{ steps.find.output.items }}",
        },
    }
    listed = sorted(
        {entry["ref"] for key in ("components", "triggers") for entry in index.get(key, [])}
    )
    triggers = [ref for ref in listed if getattr(get_component(ref), "kind", "") == "trigger"]
    refs = [ref for ref in listed if ref not in triggers]
    branches = []
    for ref in refs:
        component = get_component(ref)
        schema = copy.deepcopy(component.input_schema())
        prefix = ref.replace("/", "__") + "__"
        for name, sub in schema.pop("$defs", {}).items():
            definitions[prefix + name] = _accept_expressions(_rewrite_refs(sub, prefix))
        schema = _accept_expressions(_rewrite_refs(schema, prefix))
        schema.pop("title", None)
        schema["description"] = component.description
        key = prefix.rstrip("_") + "__with"
        definitions[key] = schema
        branches.append(
            {
                "if": {"properties": {"uses": {"const": ref}}, "required": ["uses"]},
                "then": {"properties": {"with": _either({"$ref": f"#/definitions/{key}"})}},
            }
        )
    step: dict[str, Any] = {
        "type": "object",
        "required": ["id", "uses"],
        "additionalProperties": False,
        "properties": {
            "id": {
                "type": "string",
                "pattern": "^[a-z][a-z0-9_]*$",
                "description": "Unique, snake_case; later steps read steps.<id>.output.",
            },
            "uses": {"type": "string", "enum": refs, "description": "pack/componentKey"},
            "with": {
                "anyOf": [{"type": "object"}, EXPRESSION],
                "description": "The component's inputs.",
            },
            "if": {
                "anyOf": [{"type": "boolean"}, EXPRESSION],
                "description": "Run the step only when true (skipped otherwise).",
            },
            "for_each": {
                "anyOf": [{"type": "array"}, EXPRESSION],
                "description": "Run the step once per item (`item`, `index`).",
            },
            "as": {
                "type": "string",
                "pattern": "^[a-z_][a-z0-9_]*$",
                "description": "The loop variable's name (default: item).",
            },
            "concurrency": {"type": "integer", "minimum": 1, "maximum": 64, "default": 1},
            "retry": {
                "anyOf": [
                    {"type": "integer", "minimum": 1, "maximum": 20},
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "max_attempts": {"type": "integer", "minimum": 1, "maximum": 20},
                            "backoff": {"type": "number", "minimum": 0},
                            "max_backoff": {"type": "number", "minimum": 0},
                            "on": {
                                "type": "array",
                                "items": {"enum": list(RETRY_KINDS)},
                                "default": list(DEFAULT_RETRY_ON),
                            },
                        },
                    },
                ]
            },
            "timeout": {"type": "number", "exclusiveMinimum": 0, "description": "Seconds."},
            "on_error": {"enum": list(ON_ERROR), "default": "fail"},
            "connection": {"type": "string", "description": "A name under connections:."},
            "description": {"type": "string"},
        },
        "allOf": branches,
    }
    definitions["step"] = step
    definitions["on"] = _trigger_schema(triggers, definitions)
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://sageflow.dev/schemas/flow.schema.json",
        "title": "sageflow flow",
        "description": "A *.sageflow.yaml flow: inputs, steps that call components, outputs.",
        "type": "object",
        "required": ["name", "steps"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string"},
            "description": {"type": "string"},
            "on": {"$ref": "#/definitions/on"},
            "inputs": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "properties": {
                        "type": {"enum": sorted(INPUT_TYPES)},
                        "secret": {
                            "type": "boolean",
                            "description": "Never journaled; bind only to secret fields.",
                        },
                        "description": {"type": "string"},
                        "default": {},
                    },
                },
            },
            "env": {
                "anyOf": [
                    {"type": "array", "items": {"type": "string"}},
                    {
                        "type": "object",
                        "additionalProperties": {
                            "anyOf": [
                                {"type": "null"},
                                {
                                    "type": "object",
                                    "properties": {
                                        "secret": {"type": "boolean"},
                                        "description": {"type": "string"},
                                    },
                                    "additionalProperties": False,
                                },
                            ]
                        },
                    },
                ],
                "description": "Environment variables expressions may read as env.NAME.",
            },
            "connections": {
                "type": "object",
                "additionalProperties": {
                    "anyOf": [
                        {"type": "null"},
                        {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {
                                "account": {
                                    "type": "string",
                                    "description": "A configured connection's name.",
                                },
                                "businessId": {"type": "string"},
                                "description": {"type": "string"},
                            },
                        },
                    ]
                },
            },
            "steps": {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/step"}},
            "outputs": {"type": "object"},
        },
        "definitions": definitions,
    }


def _trigger_schema(triggers: list[str], definitions: dict[str, Any]) -> dict[str, Any]:
    """``on:``: a trigger and its inputs (fixed values: no expressions), how often, batching."""
    branches = []
    for ref in triggers:
        component = get_component(ref)
        schema = copy.deepcopy(component.input_schema())
        prefix = ref.replace("/", "__") + "__"
        for name, sub in schema.pop("$defs", {}).items():
            definitions[prefix + name] = _rewrite_refs(sub, prefix)
        schema = _rewrite_refs(schema, prefix)
        schema.pop("title", None)
        schema["description"] = component.description
        key = prefix.rstrip("_") + "__with"
        definitions[key] = schema
        branches.append(
            {
                "if": {"properties": {"poll": {"const": ref}}, "required": ["poll"]},
                "then": {"properties": {"with": {"$ref": f"#/definitions/{key}"}}},
            }
        )
    return {
        "type": "object",
        "required": ["poll"],
        "additionalProperties": False,
        "description": "Start a run for each change the trigger finds (sageflow poll FLOW).",
        "properties": {
            "poll": {
                "type": "string",
                "enum": triggers,
                "description": "pack/triggerKey, e.g. sage_accounting/salesInvoiceChanges",
            },
            "with": {"type": "object", "description": "The trigger's inputs (fixed values)."},
            "every": {
                "type": "string",
                "pattern": "^([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?$",
                "minLength": 2,
                "default": DEFAULT_EVERY,
                "description": "How often to poll: 30s, 5m, 1h, 1h30m.",
            },
            "batch": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_BATCH,
                "description": "Up to this many events per run, as trigger.events"
                " (without it: one run per event, trigger.event).",
            },
            "description": {"type": "string"},
        },
        "allOf": branches,
    }


def register() -> None:
    """Add the flow schema to the documents ``sageflow manifests build`` writes."""
    from sageflow._manifests import EXTRA_DOCUMENTS

    EXTRA_DOCUMENTS[SCHEMA_FILE] = build_flow_schema
