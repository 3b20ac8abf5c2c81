"""Twilio's own OpenAPI description of the 2010-04-01 API, made fit for Prism.

The description comes from the npm package ``@twilio-alpha/mcp`` (``twilio-oai/spec/``),
installed into ``tests/contract/node_modules`` by ``.ci/run``. Twilio sends repeated form
fields for arrays (``StatusCallbackEvent=initiated&StatusCallbackEvent=completed``), and
says so nowhere in the description: without ``encoding: {style: form, explode: true}``
Prism would expect one comma-joined field. ``patch`` adds that to every array form field.
"""
from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPEC = HERE / "node_modules" / "@twilio-alpha" / "mcp" / "twilio-oai" / "spec" / "json" / "twilio_api_v2010.json"
PRISM = HERE / "node_modules" / ".bin" / "prism"
FORM = "application/x-www-form-urlencoded"


def patch(spec: dict) -> int:
    """Declare every array-typed form field as exploded; returns how many were patched."""
    patched = 0
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            body = operation.get("requestBody", {}).get("content", {}).get(FORM)
            if not body:
                continue
            properties = body.get("schema", {}).get("properties", {})
            for name, schema in properties.items():
                if schema.get("type") == "array":
                    body.setdefault("encoding", {})[name] = {"style": "form", "explode": True}
                    patched += 1
    return patched


def write_patched(destination: Path, source: Path = SPEC) -> Path:
    spec = json.loads(source.read_text())
    patch(spec)
    destination.write_text(json.dumps(spec))
    return destination
