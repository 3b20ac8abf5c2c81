"""A pack's registered templates: WhatsApp (Meta's approval rules, variables that exist and
fit) and India's DLT (every SMS an Indian learner can get matches its registered text),
checked by the validator with file and line, and exported for the consoles."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from app.channels.dlt import mismatch as dlt_mismatch
from app.content.validator import validate_files

PACK = """slug: safety
title:
  en: Safety
languages: [en]
modules: [fire]
templates:
  whatsapp:
    post_session:
      en:
        name: saathi_post_session_en
        body: "Hello {{1}}, your questions on {{2}} are ready. Reply to start."
        variables: {"1": name, "2": module}
        content_sid: HX0123456789abcdef0123456789abcdef
    opener:
      en:
        name: saathi_review_en
        body: "A question on {{1}} is waiting. Reply to get it."
        variables: {"1": module}
  dlt:
    greeting:
      en: {template_id: "1107160000000000001", text: "Thank you for today's session on {#var#}. Questions follow.\\n\\n{#var#}{#var#}\\n1) {#var#}\\n2) {#var#}"}
    question:
      en: {template_id: "1107160000000000002", text: "{#var#}{#var#}{#var#}\\n1) {#var#}\\n2) {#var#}"}
    explanation:
      en: {template_id: "1107160000000000003", text: "The answer is {#var#}: {#var#}{#var#}"}
    rating:
      en: {template_id: "1107160000000000004", text: "How useful was the session? Reply 1 to 5."}
    comment:
      en: {template_id: "1107160000000000005", text: "Anything to tell your trainer? Reply, or 0 to skip."}
"""
MODULE = """slug: fire
title:
  en: Fire safety
greeting:
  en: "Thank you for today's session on fire safety. Questions follow."
items:
  - slug: exit
    question:
      en: "The alarm rings. Where do you go?"
    options:
      - en: "Nearest exit"
      - en: "The lift"
    answer: 1
    explanation:
      en: "Take the stairs to the nearest exit."
feedback:
  rating:
    en: "How useful was the session? Reply 1 to 5."
  comment:
    en: "Anything to tell your trainer? Reply, or 0 to skip."
"""


def suggestions(pack: str = PACK, module: str = MODULE) -> dict[str, str]:
    """What ``saathi dlt templates`` says is still to register (kind -> text), English."""
    from app.content.templates import to_register

    report = validate_files({"pack.yaml": pack, "fire.yaml": module}, origin="safety")
    return {kind: text for loaded in report.packs for kind, code, text in to_register(loaded) if code == "en"}


def with_catalog(pack: str = PACK, module: str = MODULE) -> str:
    """``pack`` with the catalog's and the joined texts' templates registered as suggested."""
    lines = [f'    "{kind}":\n      en: {{template_id: "11071600000001{n:05d}", text: {json.dumps(text)}}}'
             for n, (kind, text) in enumerate(sorted(suggestions(pack, module).items()))]
    return pack + "\n".join(lines) + "\n"


def report_of(pack: str | None = None, module: str = MODULE):
    pack = pack if pack is not None else with_catalog(module=module)
    return validate_files({"pack.yaml": pack, "fire.yaml": module}, origin="safety")


def test_well_formed_templates_validate_clean():
    report = report_of()
    assert report.ok, [str(p) for p in report.errors]


def test_whatsapp_templates_break_meta_rules_on_their_line():
    pack = with_catalog().replace('body: "A question on {{1}} is waiting. Reply to get it."',
                                  'body: "{{1}} is waiting {{2}}"')
    pack = pack.replace('variables: {"1": module}', 'variables: {"1": module, "3": salary}')
    errors = [str(p) for p in report_of(pack).errors]
    line = pack.splitlines().index("    opener:") + 2  # the "en:" under opener
    assert all(e.startswith(f"safety/pack.yaml:{line}: WhatsApp template 'saathi_review_en'") for e in errors)
    said = " | ".join(errors)
    assert "{{2}} in the body has no entry under variables" in said
    assert "variable 3 is not in the body" in said and "variable 3 is 'salary'" in said
    assert "starts or ends with a variable" in said


def test_a_module_title_too_long_for_a_variable():
    module = MODULE.replace("en: Fire safety", "en: " + "Fire safety " * 30)
    errors = [str(p) for p in report_of(module=module).errors]
    assert any("module is longer than the 255 characters" in e for e in errors)


def test_every_sms_for_an_indian_learner_must_match_its_dlt_template_file_and_line():
    module = MODULE.replace('en: "Take the stairs to the nearest exit."',
                            'en: "Take the stairs to the nearest exit, never the lift, even when it is quicker."')
    errors = [str(p) for p in report_of(module=module).errors]
    line = module.splitlines().index("    explanation:") + 2
    assert errors == [(f"safety/fire.yaml:{line}: the English explanation does not match DLT template "
                       f"1107160000000000003: a {{#var#}} would carry "
                       f"{len('Take the stairs to the nearest exit, never the lift, even when it is quicker.')} "
                       "characters ('Take the stairs to the nearest exit, nev'), over 30")] or \
        errors[0].startswith(f"safety/fire.yaml:{line}: the English explanation does not match DLT template")
    rating = MODULE.replace('en: "How useful was the session? Reply 1 to 5."', 'en: "Rate the session 1-5."')
    errors = [str(p) for p in report_of(pack=with_catalog(), module=rating).errors]
    assert "rating does not match DLT template 1107160000000000004: its fixed text differs" in errors[0]
    # and every SMS that carries the rating with something else: a reminder, a verdict before it
    assert all("rating does not match" in e for e in errors) and any("reminder+rating" in e for e in errors)


def test_a_missing_dlt_kind_is_named():
    pack = with_catalog().replace('    comment:\n      en: {template_id: "1107160000000000005", '
                        'text: "Anything to tell your trainer? Reply, or 0 to skip."}\n', "")
    errors = [str(p) for p in report_of(pack).errors]
    assert len(errors) == 1 and "no DLT template for comment messages in English" in errors[0]
    assert errors[0].startswith("safety/fire.yaml:")


def test_dlt_matching_rules():
    assert dlt_mismatch("Code {#var#} now", "Code 1234 now") is None
    assert dlt_mismatch("Code {#var#} now", "Code " + "x" * 31 + " now").startswith("a {#var#} would carry 31")
    assert dlt_mismatch("Code {#var#} now", "Kode 1234 now") == "its fixed text differs from the registered text"


def test_the_cli_lists_what_must_be_approved_and_registered(runner, tmp_path):
    (tmp_path / "safety").mkdir()
    (tmp_path / "safety" / "pack.yaml").write_text(with_catalog())
    (tmp_path / "safety" / "fire.yaml").write_text(MODULE)
    result = runner.invoke(args=["whatsapp", "templates", str(tmp_path)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "saathi_review_en" in out and "needs approval" in out and "approved: HX0123456789abcdef" in out
    assert "quick-reply-3" in out and "twilio/quick-reply" in out and "list-10" in out
    result = runner.invoke(args=["whatsapp", "templates", "--json", str(tmp_path)])
    requests = json.loads(result.output)
    opener = next(r for r in requests if r["friendly_name"] == "saathi_review_en")
    assert opener["language"] == "en" and opener["variables"] == {"1": "Fire safety"}
    assert opener["types"]["twilio/text"]["body"] == "A question on {{1}} is waiting. Reply to get it."
    result = runner.invoke(args=["dlt", "templates", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "template_id,pack,kind,language,text"
    assert "1107160000000000004,safety,rating,en,How useful was the session? Reply 1 to 5." in lines
    assert not [line for line in lines if line.startswith(",")]  # nothing left to register
    # Without the catalog's templates: each is listed to register, with its {#var#} slots.
    (tmp_path / "safety" / "pack.yaml").write_text(PACK)
    result = runner.invoke(args=["dlt", "templates", str(tmp_path)])
    rows = list(csv.reader(io.StringIO(result.stdout)))
    todo = {row[2]: row[4] for row in rows if row[0] == ""}
    assert todo["correct"] == "Correct!" and todo["reminder+rating"].startswith("Reminder: How useful")
    assert todo["score"].startswith("{#var#}: {#var#} answers")
    assert "no DLT template for correct messages" in result.stderr


def test_catalog_and_joined_texts_are_suggested_with_var_slots():
    """What the packs alone do not register: "Correct!", reminders, keyword answers, the
    check-in, and two texts in one SMS, built from the pack's own registered templates."""
    two = MODULE.replace("feedback:", """  - slug: smoke
    question:
      en: "Smoke fills the room. What do you do?"
    options:
      - en: "Crawl low"
      - en: "Stand up"
    answer: 1
    explanation:
      en: "Smoke rises."
feedback:""")
    wanted = suggestions(module=two)
    question = "{#var#}{#var#}{#var#}\n1) {#var#}\n2) {#var#}"  # the pack's registered question template
    assert wanted["correct+question"] == "Correct!\n" + question
    assert wanted["reminder+question"] == "Reminder: " + question
    assert wanted["reask+question"] == "Please reply with a number from 1 to {#var#}.\n" + question
    assert wanted["score"] == "{#var#}: {#var#} answers, right: {#var#}%. {#var#} of {#var#} questions learned."
    assert wanted["stop"] == "You will get no more messages from Saathi. Reply START to begin again."
    assert wanted["checkin"].startswith("Are you working now?")
    assert {"help", "start", "lang", "lang_unknown", "nothing_pending", "no_practice", "correct"} <= set(wanted)


def test_a_catalog_text_without_its_template_is_named_at_its_catalog_entry():
    pack = "\n".join(line for line in with_catalog().splitlines() if not line.startswith('    "stop":')
                     and "You will get no more messages" not in line) + "\n"
    errors = [str(p) for p in report_of(pack).errors]
    assert len(errors) == 1 and "no DLT template for stop messages in English" in errors[0], errors
    po = Path("locales/en/LC_MESSAGES/messages.po").read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(po, 1)
                if text.startswith('msgid "You will get no more messages from Saathi.'))
    assert errors[0].startswith(f"locales/en/LC_MESSAGES/messages.po:{line}: ")


def test_a_registered_catalog_template_that_differs_is_named():
    pack = with_catalog().replace('"Thank you! Good luck."', '"Thanks! Good luck."')
    errors = [str(p) for p in report_of(pack).errors]
    assert len(errors) == 1 and "checkin_thanks does not match DLT template" in errors[0]
    assert "its fixed text differs" in errors[0] and errors[0].startswith("locales/en/LC_MESSAGES/messages.po:")


CHECKIN = """    checkin:
      en:
        name: saathi_checkin_en
        body: "Hello {{1}}, it is {{2}} months since your training. Reply to tell us how you are doing."
        variables: {"1": name, "2": months}
    milestone:
      en:
        name: saathi_milestone_en
        body: "Hello {{1}}, a question about {{2}} from your training. Reply to get it."
        variables: {"1": name, "2": milestone}
"""


def with_checkin(text: str = CHECKIN) -> str:
    """The pack with these WhatsApp templates, and every DLT text registered as suggested."""
    return with_catalog(PACK.replace("  dlt:\n", text + "  dlt:\n", 1))


def test_checkin_and_milestone_templates_validate_with_their_own_variables():
    report = report_of(with_checkin())
    assert report.ok, [str(p) for p in report.errors]
    wrong = with_checkin(CHECKIN.replace('"2": months}', '"2": module}').replace('"2": milestone}', '"2": months}'))
    errors = [str(p) for p in report_of(wrong).errors]
    said = " | ".join(errors)
    assert "variable 2 is 'module'; in a checkin message Saathi fills in name, pack, months" in said
    assert "variable 2 is 'months'; in a milestone message Saathi fills in name, pack, milestone" in said
    assert len(errors) == 2
    # and a post_session template cannot use a check-in's months
    wrong = PACK.replace('variables: {"1": name, "2": module}', 'variables: {"1": name, "2": months}')
    assert any("variable 2 is 'months'; in a post_session message" in str(p) for p in report_of(wrong).errors)
    unknown = with_checkin(CHECKIN.replace("    checkin:", "    check_in:"))
    assert any("unknown message kind 'check_in'; use one of post_session, opener, checkin, milestone" in str(p)
               for p in report_of(unknown).errors)


def test_the_cli_lists_the_checkin_and_milestone_templates(runner, tmp_path):
    (tmp_path / "safety").mkdir()
    (tmp_path / "safety" / "pack.yaml").write_text(with_checkin())
    (tmp_path / "safety" / "fire.yaml").write_text(MODULE)
    out = runner.invoke(args=["whatsapp", "templates", str(tmp_path)]).output
    assert "saathi_checkin_en  [en]  safety/checkin  twilio/text  needs approval" in out
    assert "saathi_milestone_en  [en]  safety/milestone  twilio/text  needs approval" in out
    assert "{{2}} = 6" in out and "{{2}} = CV written" in out
    requests = json.loads(runner.invoke(args=["whatsapp", "templates", "--json", str(tmp_path)]).output)
    checkin = next(r for r in requests if r["friendly_name"] == "saathi_checkin_en")
    assert checkin["variables"] == {"1": "Asha", "2": "6"}
    assert checkin["approval_request"] == {"name": "saathi_checkin_en", "category": "UTILITY"}
