"""A language is data: a folder under SAATHI_LOCALES_DIR, and nothing in app/.

The throwaway language here is Tigrinya (ti), whose Ethiopic digits ፩ ፪ ፫ Unicode does
not count as decimal digits: a learner answering "፪" is read as 2 only because the
language file lists its digits. No Twilio voice speaks it, so its learners get SMS.
"""
from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
from sqlmodel import select

from app import languages
from app.config import REPO_ROOT
from app.content.importer import import_packs
from app.content.validator import validate_files
from app.learning.inbound import receive_sms
from app.learning.sessions import complete_session
from app.models import Answer, Learner, Module, Outbox
from app.people.learners import import_learners
from app.people.sites import add_site
from app.scheduling.dispatcher import dispatch_once
from tests.factories import app_policy, cohort

TIGRINYA = """
name = "ትግርኛ"
english_name = "Tigrinya"
direction = "ltr"
digits = "0፩፪፫፬፭፮፯፰፱"
option_letters = "ሀለሐመ"
question_budget = 3
voice = "none"

[words]
stop = ["ኣቋርጽ"]
start = ["ጀምር"]
help = ["ሓገዝ"]
lang = ["ቋንቋ"]
quiz = ["ፈተና"]
score = ["ነጥቢ"]
answer = ["መልሲ"]
names = ["tigrinya"]
"""
CATALOG = r'''msgid ""
msgstr ""
"Language: ti\n"
"Content-Type: text/plain; charset=utf-8\n"

msgid "Correct!"
msgstr "ቅኑዕ!"

msgid "The answer is {number}: {explanation}"
msgstr "መልሱ {number} እዩ፡ {explanation}"

msgid "Saathi will now write to you in {language}."
msgstr "ሳቲ ሕጂ ብ{language} ክጽሕፈልኩም እዩ።"
'''
PACK = """slug: safety
title: {en: Safety, ti: ድሕንነት}
languages: [en, ti]
modules: [fire]
"""
MODULE = """slug: fire
title: {en: Fire, ti: ሓዊ}
greeting:
  en: "Thank you for today's session on fire safety."
  ti: "ብዛዕባ ድሕንነት ሓዊ ንዝነበረ ትምህርቲ የቐንየልና።"
items:
  - slug: alarm
    question: {en: "The fire alarm rings. What do you do?", ti: "ደወል ሓዊ ይድውል። እንታይ ትገብር?"}
    options:
      - {en: "Keep working", ti: "ስራሕ ምቕጻል"}
      - {en: "Leave by the stairs", ti: "ብመሳላል ምውጻእ"}
      - {en: "Take the lift", ti: "ብሊፍት ምውራድ"}
    answer: 2
    explanation: {en: "Stairs, never the lift.", ti: "ብመሳላል፡ ብሊፍት ፈጺምካ ኣይኮነን።"}
  - slug: exit
    question: {en: "Where do you meet after leaving?", ti: "ድሕሪ ምውጻእ ኣበይ ትራኸቡ?"}
    options:
      - {en: "At the assembly point", ti: "ኣብ መራኸቢ ቦታ"}
      - {en: "In the car park", ti: "ኣብ መዕሸጊ መኪና"}
    answer: 1
    explanation: {en: "The assembly point, so nobody is missed.", ti: "ኣብ መራኸቢ ቦታ፡ ሰብ ከይጠፍእ።"}
feedback:
  rating: {en: "How useful was the session, 1 to 5?", ti: "ትምህርቲ ክንደይ ጠቓሚ ነይሩ፧ 1 ክሳብ 5"}
  comment: {en: "Anything to tell your trainer?", ti: "ንመምህርኹም ትብሉዎ ኣሎ ድዩ?"}
"""


@pytest.fixture
def locales(tmp_path) -> Path:
    """The shipped languages plus Tigrinya, written as a deployer would: files only."""
    folder = Path(shutil.copytree(REPO_ROOT / "locales", tmp_path / "locales",
                                  ignore=shutil.ignore_patterns("*.mo")))
    (folder / "ti" / "LC_MESSAGES").mkdir(parents=True)
    (folder / "ti" / "language.toml").write_text(TIGRINYA, encoding="utf-8")
    (folder / "ti" / "LC_MESSAGES" / "messages.po").write_text(CATALOG, encoding="utf-8")
    yield folder
    languages.use(languages.DEFAULT_LOCALES_DIR)  # later tests speak the shipped languages again


@pytest.fixture
def app_config(app_config, locales):
    return {**app_config, "LOCALES_DIR": str(locales)}


def _text(db, phone, body, clock) -> str:
    reply = receive_sms(db=db, sid="SM" + uuid.uuid4().hex, from_number=phone, body=body, now=clock.now(),
                        policy=app_policy())
    db.commit()
    return str(reply)


def test_a_language_added_as_files_runs_a_learner_through_a_quiz_in_its_own_digits(app, db, clock):
    clock.advance(hours=6)  # 11:00 in Hamar, inside the send window
    report = validate_files({"pack.yaml": PACK, "fire.yaml": MODULE})
    assert report.ok, report.errors
    # No voice speaks Tigrinya: the validator says so, on the line that lists it.
    assert [(w.file, w.line) for w in report.warnings if "no Twilio voice speaks Tigrinya" in w.message] \
        == [("pack.yaml", 3)]
    import_packs(db=db, packs=report.packs, now=clock.now())
    add_site(db=db, name="Hamar", country="NO")
    # Named by its own name in the sheet; asked for calls, but no voice speaks it.
    imported = import_learners(db=db, now=clock.now(), csv_text=(
        "phone,name,site,language,cohort,channel\n+4791000001,Selam Tesfay,Hamar,ትግርኛ,hamar-1,voice\n"))
    assert not imported.errors, imported.errors
    selam = db.exec(select(Learner)).one()
    assert (selam.language, selam.channel) == ("ti", "sms")
    module = db.exec(select(Module).where(Module.slug == "fire")).one()
    complete_session(db=db, cohort=cohort(db, "hamar-1"), module=module, held_at=clock.now(), now=clock.now())
    db.commit()

    dispatch_once(app=app)
    sent = db.exec(select(Outbox.body).where(Outbox.to_number == selam.phone)).all()
    assert len(sent) == 1 and "ደወል ሓዊ ይድውል" in sent[0] and "ብመሳላል ምውጻእ" in sent[0]

    reply = _text(db, selam.phone, "፪", clock)  # Ethiopic two: not a Unicode decimal digit
    assert reply.startswith("ቅኑዕ!") and "ድሕሪ ምውጻእ ኣበይ ትራኸቡ" in reply
    reply = _text(db, selam.phone, "መልሲ ፪", clock)  # "answer 2": wrong, the explanation in Tigrinya
    assert reply.startswith("መልሱ 1 እዩ፡ ኣብ መራኸቢ ቦታ")
    answers = db.exec(select(Answer.choice, Answer.correct).where(Answer.learner_id == selam.id)
                      .order_by(Answer.id)).all()
    assert [tuple(a) for a in answers] == [(2, True), (2, False)]

    assert _text(db, selam.phone, "LANG English", clock) == "Saathi will now write to you in English."
    assert _text(db, selam.phone, "ቋንቋ ትግርኛ", clock) == "ሳቲ ሕጂ ብትግርኛ ክጽሕፈልኩም እዩ።"


def test_a_letter_means_its_own_scripts_option(app):
    from app.learning.parsing import parse_choice

    options = ["a", "b", "c", "d"]
    assert parse_choice("ለ", options, "ti") == 2
    assert parse_choice("ለ", options) == 2  # no other script uses ለ
    assert parse_choice("ख", options, "hi") == 2


def test_a_pack_in_a_language_no_locale_declares_names_its_file_and_line(app):
    report = validate_files({"pack.yaml": PACK.replace("[en, ti]", "[en, xx]"), "fire.yaml": MODULE})
    problem = next(p for p in report.errors if "unknown language code 'xx'" in p.message)
    assert (problem.file, problem.line) == ("pack.yaml", 3)
    assert "ti (Tigrinya)" in problem.message  # the codes Saathi speaks, from the folders


def test_a_learner_with_an_unknown_language_names_the_row_and_the_codes_saathi_speaks(app, db, clock):
    add_site(db=db, name="Hamar", country="NO")
    report = import_learners(db=db, now=clock.now(), csv_text=(
        "phone,name,site,language,cohort\n+4791000001,A,Hamar,nb,c\n+4791000002,B,Hamar,klingon,c\n"))
    assert report.created == 1 and len(report.errors) == 1
    message = str(report.errors[0])
    assert message.startswith("row 3: unknown language 'klingon'; Saathi speaks ar (Arabic), bn (Bengali), ")
    assert all(f"{code} ({lang.english_name})" in message for code, lang in languages.current().items())
    assert "ti (Tigrinya)" in message


@pytest.mark.parametrize("text, problem", [
    ('name = "X"', "'english_name' is missing"),
    ('name = "X"\nenglish_name = "X"\ndigits = "0123"', "digits must be the ten digits"),
    ('name = "X"\nenglish_name = "X"\ndirection = "up"', "direction must be 'ltr' or 'rtl'"),
    ('name = "X"\nenglish_name = "X"\n[words]\nstopp = ["x"]', "unknown [words] stopp"),
    ('name = "X"\nenglish_name = "X"\n[voice]\nvoice = "Polly.X"', "needs say_language and voice"),
    ('name = "X"\nenglish_name = ', "language.toml"),
])
def test_a_broken_language_file_names_itself_and_the_key(tmp_path, text, problem):
    path = tmp_path / "xx" / "language.toml"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    with pytest.raises(languages.LanguageFileError) as caught:
        languages.read_language(path)
    assert problem in str(caught.value) and str(path) in str(caught.value)


def test_a_word_that_is_two_commands_in_two_files_is_refused(locales):
    hindi = locales / "hi" / "language.toml"
    hindi.write_text(hindi.read_text(encoding="utf-8").replace('start = ["शुरू"', 'start = ["stop", "शुरू"'),
                     encoding="utf-8")
    with pytest.raises(languages.LanguageFileError, match="'stop' is START here but STOP in"):
        languages.load(locales)


def test_every_shipped_language_declares_the_whole_file():
    shipped = languages.load(languages.DEFAULT_LOCALES_DIR)
    assert {"en", "hi", "nb", "nl", "mr", "ta", "te", "kn", "bn", "ar"} <= set(shipped)
    for code, lang in shipped.items():
        assert set(languages.COMMANDS) <= set(lang.words), code
        assert lang.words.get("names") and len(lang.numbers) == 5, code
        assert lang.voice is not None, f"{code}: every shipped language has a Twilio voice"
    assert shipped["ar"].rtl and not shipped["hi"].rtl


@pytest.mark.parametrize("code", ["mr", "ta", "te", "kn", "bn", "ar", "hi"])
def test_a_learner_answers_in_their_scripts_digits_letters_and_words(code):
    from app.learning.keywords import match_keyword
    from app.learning.parsing import parse_choice

    languages.use(languages.DEFAULT_LOCALES_DIR)
    lang = languages.get(code)
    options = ["x", "y", "z"]
    assert parse_choice(lang.digits[2], options, code) == 2
    assert parse_choice(f"{lang.words['answer'][0]} {lang.digits[3]}", options, code) == 3
    assert parse_choice(lang.option_letters[1], options, code) == 2
    assert match_keyword(lang.words["stop"][0]) == ("stop", None)
    assert match_keyword(f"{lang.words['lang'][0]} {lang.name}") == ("lang", code)
    assert match_keyword(lang.name) == ("lang", code)


def test_the_shipped_packs_carry_one_module_in_each_new_language_marked_for_review():
    from app.content.validator import validate_paths

    report = validate_paths([REPO_ROOT / "content"])
    assert report.ok and report.warnings == []
    for pack in report.packs:
        assert set(pack.pack.partial_languages) == {"mr", "ta", "te", "kn", "bn", "ar"}
        assert set(pack.pack.needs_review) == set(pack.pack.partial_languages)
        translated = [m.module.slug for m in pack.modules if "ta" in m.module.title]
        assert len(translated) == 1, pack.pack.slug
    notes = [str(n) for n in report.notes]
    assert len(notes) == 18 and all("need review by a native speaker" in n for n in notes)
    # Each script's question fits its budget, counted as UCS-2.
    rows = {(row.language, row.kind): row for row in report.cost_table()}
    for code in ("mr", "ta", "te", "kn", "bn", "ar"):
        row = rows[(code, "question")]
        assert row.encoding == "UCS-2" and row.count == 15
        assert row.max_segments <= languages.load(languages.DEFAULT_LOCALES_DIR)[code].question_budget
