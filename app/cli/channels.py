"""``saathi whatsapp templates`` and ``saathi dlt templates``: what must be registered
before a programme can reach its learners, in the form each console asks for.

WhatsApp: the packs' templates for outside the 24-hour window (each needs Meta's
approval; its ContentSid then goes into ``pack.yaml``), and the session content made once
per shape (``SAATHI_WHATSAPP_CONTENT``; no approval needed inside the window). With
``--json``: one Content API create request per item. DLT: a CSV of every template an
Indian operator's DLT portal must hold, ID and registered text.
"""
from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from app.channels.whatsapp_content import LIST_MAX, QUICK_REPLY_MAX, SAMPLE_VALUES, shape_for
from app.content.templates import to_register
from app.content.validator import validate_paths

whatsapp_cli = AppGroup("whatsapp", help="WhatsApp: templates and content to register.")
dlt_cli = AppGroup("dlt", help="India's DLT: SMS templates to register.")
PATHS = click.argument("paths", nargs=-1, type=click.Path(path_type=Path))


def _packs(paths):
    report = validate_paths(list(paths) or [Path(current_app.config["CONTENT_DIR"])], whole_packs=True)
    for problem in report.errors:
        click.echo(f"warning: {problem}", err=True)
    return [loaded.pack for loaded in report.packs], report.packs


def _session_content() -> list[dict]:
    """The Content API requests for the session shapes: a body and 2-10 tappable options."""
    requests = []
    for count in range(2, LIST_MAX + 1):
        shape = shape_for(count)
        variables = {"1": "Q1/3 Which number do you never share?"}
        for n in range(1, count + 1):
            variables[str(2 * n)], variables[str(2 * n + 1)] = f"{n}. Option {n}", f"p1.{n}"
        slots = [(f"{{{{{2 * n}}}}}", f"{{{{{2 * n + 1}}}}}") for n in range(1, count + 1)]
        if count <= QUICK_REPLY_MAX:
            types = {"twilio/quick-reply": {"body": "{{1}}", "actions": [{"title": t, "id": i} for t, i in slots]}}
        else:
            types = {"twilio/list-picker": {"body": "{{1}}", "button": "Answer",
                                            "items": [{"item": t, "id": i} for t, i in slots]}}
        requests.append({"friendly_name": f"saathi_{shape.replace('-', '_')}", "language": "en",
                         "variables": variables, "types": types, "_shape": shape})
    return requests


@whatsapp_cli.command("templates")
@click.option("--json", "as_json", is_flag=True, help="Content API create requests, one per template.")
@PATHS
def whatsapp_templates(as_json: bool, paths) -> None:
    """List the WhatsApp templates to approve and the session content to create."""
    packs, loaded = _packs(paths)
    first_module = {p.pack.slug: p.modules[0].module for p in loaded if p.modules}
    requests = []
    for pack in packs:
        for kind, by_language in (pack.templates.whatsapp if pack.templates else {}).items():
            for code, template in sorted(by_language.items()):
                module = first_module.get(pack.slug)
                values = dict(SAMPLE_VALUES, **({"module": module.title.get(code, "")} if module else {}))
                samples = {slot: values.get(name, name) for slot, name in template.variables.items()}
                requests.append({"friendly_name": template.name, "language": code, "variables": samples,
                                 "types": {"twilio/text": {"body": template.body}},
                                 # then POST /v1/Content/{sid}/ApprovalRequests/whatsapp with this
                                 "approval_request": {"name": template.name, "category": "UTILITY"},
                                 "_pack": pack.slug,
                                 "_kind": kind, "_content_sid": template.content_sid})
    if as_json:
        out = [{k: v for k, v in r.items() if not k.startswith("_")} for r in requests + _session_content()]
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    click.echo("Templates (outside the 24-hour window; category UTILITY, each needs Meta's approval):")
    click.echo("  (a check-in or milestone question with no approved template of its own goes as the opener)")
    for r in requests:
        state = f"approved: {r['_content_sid']}" if r["_content_sid"] else "needs approval"
        click.echo(f"  {r['friendly_name']}  [{r['language']}]  {r['_pack']}/{r['_kind']}  twilio/text  {state}")
        click.echo(f"    body: {r['types']['twilio/text']['body']}")
        click.echo("    samples: " + ", ".join(f"{{{{{k}}}}} = {v}" for k, v in r["variables"].items()))
    configured = _configured()
    click.echo("\nSession content (inside the window; no approval needed, create once, "
               "then list in SAATHI_WHATSAPP_CONTENT):")
    for r in _session_content():
        kind = next(iter(r["types"]))
        sid = configured.get(r["_shape"])
        click.echo(f"  {r['_shape']:<14} {kind:<20} {('set: ' + sid) if sid else 'not set'}")


def _configured() -> dict[str, str]:
    spec = current_app.config.get("WHATSAPP_CONTENT") or ""
    return dict(part.strip().split("=", 1) for part in spec.split(",") if "=" in part)


@dlt_cli.command("templates")
@PATHS
def dlt_templates(paths) -> None:
    """Every DLT template of the packs as CSV (template_id, pack, kind, language, text), then
    the ones still to register (no template_id): catalog texts (a keyword's answer, "Correct!",
    a reminder, a check-in) and two texts joined in one SMS, with ``{#var#}`` slots."""
    packs, loaded = _packs(paths)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["template_id", "pack", "kind", "language", "text"])
    for pack in packs:
        for kind, by_language in (pack.templates.dlt if pack.templates else {}).items():
            for code, template in sorted(by_language.items()):
                writer.writerow([template.template_id, pack.slug, kind, code, template.text])
    for pack in loaded:
        for kind, code, text in to_register(pack):
            writer.writerow(["", pack.pack.slug, kind, code,
                             text if text is not None else "(register the pack's own templates first)"])
