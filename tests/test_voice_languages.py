"""Calls speak each language its own way (``[calls]`` in ``locales/<code>/language.toml``).

Hindi reads "1 के लिए ... दबाएँ" a little slower than the voice's own pace; Tamil lists the
options as Tamil speakers do, the number said in Tamil and then the option ("press 1 for A"
makes no sense there), slower still; Norwegian is read as the voice reads it. The key to press
is the option's number in every language.
"""
from __future__ import annotations

import pytest
from sqlmodel import select

from app import languages
from app.i18n import say
from app.models import Answer, Item
from app.scheduling.dispatcher import dispatch_once
from app.voice import texts
from tests.factories import held_session
from tests.test_voice_call import gather_of, press, said, start_call

LEARNERS = """phone,name,site,language,cohort,channel
+919876543221,Ravi Kumar,Andheri Mall,hi,andheri-march,voice
+919876543222,Kavitha Raman,Andheri Mall,ta,andheri-march,voice
+4791234567,Kari Nordmann,Andheri Mall,nb,andheri-march,voice
"""


@pytest.fixture
def learners(app, db, clock):
    return held_session(db, clock.now(), LEARNERS)


def options_said(db, root) -> list[str]:
    """What the Gather says after the question number and the question: one line per option."""
    return said(gather_of(root))[-3:]


def rates(root) -> set[str | None]:
    """The prosody rate of every <Say> (None where the voice keeps its own pace)."""
    found = set()
    for say_node in root.iter("Say"):
        prosody = say_node.find("prosody")
        found.add(prosody.get("rate") if prosody is not None else None)
    return found


def test_hindi_is_read_at_its_rate_with_press_n_for_the_option(app, db, learners, twilio_post):
    ravi = learners[0]
    dispatch_once(app=app)
    root = start_call(app, twilio_post, ravi)
    assert languages.get("hi").calls.rate == "95%"
    assert rates(root) == {"95%"}
    item = db.exec(select(Item).order_by(Item.position)).first()
    options = [option.get("hi") or option["en"] for option in item.options]
    assert options_said(db, root) == [say("hi", "Press {number} for {option}.", number=n, option=text)
                                      for n, text in enumerate(options, start=1)]
    assert all("दबाएँ" in line for line in options_said(db, root))


def test_tamil_reads_the_number_in_tamil_then_the_option_and_key_1_still_answers_1(app, db, learners,
                                                                                   twilio_post):
    kavitha = learners[1]
    dispatch_once(app=app)
    root = start_call(app, twilio_post, kavitha)
    assert {el.get("language") for el in root.iter("Say")} == {"ta-IN"}
    assert rates(root) == {"90%"}
    lines = options_said(db, root)
    assert [line.split(". ", 1)[0] for line in lines] == ["ஒன்று", "இரண்டு", "மூன்று"]
    item = db.exec(select(Item).order_by(Item.position)).first()
    assert lines[1] == f"இரண்டு. {(item.options[1].get('ta') or item.options[1]['en']).rstrip('.')}."
    press_n = say("ta", "Press {number} for {option}.", number=1, option="")
    assert not any(press_n.strip(" .") in line for line in lines)
    press(twilio_post, root, str(item.answer))
    answer = db.exec(select(Answer).where(Answer.learner_id == kavitha.id)).one()
    assert answer.correct and answer.choice == item.answer


def test_norwegian_keeps_the_voice_pace_and_says_trykk(app, db, learners, twilio_post):
    kari = learners[2]
    dispatch_once(app=app)
    root = start_call(app, twilio_post, kari)
    assert {el.get("voice") for el in root.iter("Say")} == {"Polly.Liv"}
    assert rates(root) == {None}
    assert all(line.startswith("Trykk ") for line in options_said(db, root))


def test_an_option_format_in_the_file_is_used_with_the_scripts_letters(tmp_path):
    folder = tmp_path / "locales"
    for code in ("en", "ta"):
        (folder / code).mkdir(parents=True)
        text = (languages.DEFAULT_LOCALES_DIR / code / "language.toml").read_text(encoding="utf-8")
        if code == "ta":
            text = text.replace('options = "number"', 'options = "number"\noption_format = "{letter}, {digit}: {option}"')
        (folder / code / "language.toml").write_text(text, encoding="utf-8")
    try:
        languages.use(folder)
        assert texts.option("ta", 2, "மறுக்கவும்") == "ஆ, ௨: மறுக்கவும்."
    finally:
        languages.use(languages.DEFAULT_LOCALES_DIR)


@pytest.mark.parametrize(("calls", "error"), [
    ('rate = "fastest"', "calls.rate must be"),
    ('rate = "500%"', "calls.rate must be"),
    ('options = "letters"', "calls.options must be one of press, number"),
    ('option_format = "{number}"', "must contain {option}"),
    ('option_format = "{colour} {option}"', "calls.option_format may use"),
    ('speed = 1', "unknown [calls] speed"),
])
def test_a_wrong_calls_table_names_the_file_and_key(tmp_path, calls, error):
    path = tmp_path / "xx" / "language.toml"
    path.parent.mkdir()
    path.write_text(f'name = "X"\nenglish_name = "X"\n[calls]\n{calls}\n', encoding="utf-8")
    with pytest.raises(languages.LanguageFileError, match=r".*xx/language\.toml: .*") as raised:
        languages.read_language(path)
    assert error in str(raised.value)
