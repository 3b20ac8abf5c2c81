"""A call as text (for trainers without a phone), and the voices a deployer can change."""
from __future__ import annotations

from sqlmodel import Session, select

from app.db import get_engine
from app.i18n import say
from app.models import Answer, Card, Feedback, Inbound, Learner, Outbox, Prompt, VoiceCall
from app.voice.transcript import (
    press_key,
    start_voice_session,
    voice_channel,
    voice_session_as_text,
)
from tests.factories import held_session, make_learners

LEARNERS = """phone,name,site,language,cohort,channel
+919876543210,Asha Devi,Andheri Mall,en,andheri-march,voice
+919876543211,Ravi Kumar,Andheri Mall,hi,andheri-march,sms
"""


def _env(app):
    from app.voice.flow import Env

    return Env.from_app(app)


def held(db, clock):
    learners = held_session(db, clock.now(), LEARNERS)
    return learners


def test_a_whole_call_reads_as_text_and_stores_what_a_real_call_would(app, db, clock):
    asha, _ = held(db, clock)
    lines = voice_session_as_text(db, learner=asha, keys=["2", "9", None, "1", "4"], now=clock.now(), env=_env(app))
    assert lines == [
        ("Hello Asha, this is Saathi. Thank you for today's session on UPI safety. "
         "Answer each question with the keys on your phone."),
        "Question 1 of 3.",
        "A caller asks for your UPI PIN to send you money. What do you do?",
        "Press 1 for Tell the PIN.", "Press 2 for Refuse and hang up.", "Press 3 for Ask a friend.",
        "[waits for a key: 1-3]",
        "[presses 2]",
        "Correct!",
        "Question 2 of 3.",
        "Someone says he is from the bank and asks for your OTP. What do you do?",
        "Press 1 for Give the OTP.", "Press 2 for Say nothing and hang up.", "Press 3 for Send it by SMS.",
        "[waits for a key: 1-3]",
        "[presses 9]",
        "Please press a number from 1 to 3.",
        "Question 2 of 3.",
        "Someone says he is from the bank and asks for your OTP. What do you do?",
        "Press 1 for Give the OTP.", "Press 2 for Say nothing and hang up.", "Press 3 for Send it by SMS.",
        "[waits for a key: 1-3]",
        "[presses nothing]",
        "We will ask this question again another day.",
        "Question 3 of 3.",
        "Before you pay by UPI, what do you check?",
        "Press 1 for The payee name.", "Press 2 for The weather.", "Press 3 for Nothing.",
        "[waits for a key: 1-3]",
        "[presses 1]",
        "Correct!",
        "How useful was today's session? Press a number from 1 to 5. 5 means very useful.",
        "[waits for a key: 1-5]",
        "[presses 4]",
        "Thank you for your rating!",
        "You answered 2 of 2 questions correctly.",
        "Thank you for learning with Saathi. Goodbye!",
        "[hangs up]",
    ]
    assert [(a.choice, a.correct, a.channel) for a in db.exec(select(Answer).order_by(Answer.id))] == [
        (2, True, "voice"), (1, True, "voice")]
    assert len(db.exec(select(Card)).all()) == 2
    assert db.exec(select(Feedback)).one().rating == 4
    assert db.exec(select(Outbox)).all() == []  # nothing was dialled


def test_step_by_step_for_a_page_that_keeps_the_action_between_requests(app, db, clock):
    _, ravi = held(db, clock)
    with app.app_context(), Session(get_engine(app)) as dbs:
        ravi = dbs.get(Learner, ravi.id)
        step = start_voice_session(dbs, learner=ravi, now=clock.now(), env=_env(app))
        assert not step.ended and step.keys == "1-3"
        assert step.twiml.startswith("<?xml") and 'voice="Polly.Aditi"' in step.twiml
        assert any("UPI PIN माँगे" in line for line in step.lines)
        step = press_key(dbs, action=step.action, key="2", now=clock.now(), env=_env(app))
        assert step.keys == "1-3" and step.lines[0] == say("hi", "Correct!")
        dbs.rollback()  # a dry run: nothing of it is kept
    assert db.exec(select(Answer)).all() == []
    assert db.exec(select(VoiceCall)).all() == []


def test_the_simulator_channel_turns_typed_keys_into_a_call(app, db, clock):
    asha, _ = held(db, clock)
    heard = voice_channel(db=db, learner=asha, text="call me", now=clock.now(), env=_env(app))
    assert heard[0].startswith("Hello Asha") and heard[0].endswith("[waits for a key: 1-3]")
    assert voice_channel(db=db, learner=asha, text="2", now=clock.now(), env=_env(app))[0].startswith("Correct!")
    assert voice_channel(db=db, learner=asha, text="-", now=clock.now(), env=_env(app))[0].startswith("I did not hear a key.")
    assert voice_channel(db=db, learner=asha, text="hang up", now=clock.now(), env=_env(app)) == ["[hangs up]"]
    db.commit()
    inbound = db.exec(select(Inbound).order_by(Inbound.id)).all()
    assert [(m.channel, m.body) for m in inbound] == [("voice", "call me"), ("voice", "2"), ("voice", "-"),
                                                     ("voice", "hang up")]
    replies = db.exec(select(Outbox).order_by(Outbox.id)).all()
    assert {(r.kind, r.purpose, r.status, r.segments) for r in replies} == {("call", "reply", "replied", 0)}
    # Hanging up puts the unanswered question back, as a real hang-up does.
    assert db.exec(select(VoiceCall)).one().status == "completed"
    second = db.exec(select(Prompt).where(Prompt.learner_id == asha.id, Prompt.seq == 2)).one()
    assert second.status == "queued"
    # The next text calls again, and carries on where the learner left off.
    heard = voice_channel(db=db, learner=asha, text="again", now=clock.now(), env=_env(app))
    assert "Question 2 of 3." in heard[0]


def test_nothing_to_ask_says_so_and_hangs_up(app, db, clock):
    learners = make_learners(db, clock.now(), LEARNERS)
    step = start_voice_session(db, learner=learners[0], now=clock.now(), env=_env(app))
    assert step.ended and step.lines == ["There are no questions for you right now. Goodbye!", "[hangs up]"]


def test_voices_cli_lists_defaults_and_sets_an_override(app, runner, db):
    result = runner.invoke(args=["voices", "list"])
    assert result.exit_code == 0, result.output
    assert "hi   hi-IN    Polly.Aditi" in result.output and "(default)" in result.output
    assert "nb   nb-NO    Polly.Liv" in result.output and "nl   nl-NL    Polly.Lotte" in result.output
    result = runner.invoke(args=["voices", "set", "hi", "--voice", "Polly.Kajal-Neural"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["voices", "list"])
    hindi = next(line for line in result.output.splitlines() if line.startswith("hi "))
    assert "Polly.Kajal-Neural" in hindi and "hi-IN" in hindi and "(default)" not in hindi
    assert "ta   ta-IN    Google.ta-IN-Standard-A" in result.output  # from locales/ta/language.toml
    # A language without a voice in its file (here one Saathi does not speak yet) starts from nothing.
    result = runner.invoke(args=["voices", "set", "so"])
    assert result.exit_code != 0
    result = runner.invoke(args=["voices", "set", "so", "--voice", "Google.so-SO-Standard-A"])
    assert result.exit_code != 0 and "--say-language" in result.output
    result = runner.invoke(args=["voices", "set", "so", "--voice", "Google.so-SO-Standard-A",
                                 "--say-language", "so-SO", "--no-speech"])
    assert result.exit_code == 0 and "keypad only" in result.output


def test_voices_call_plays_a_call_in_the_terminal_as_a_dry_run_unless_kept(app, runner, db, clock):
    asha, _ = held(db, clock)
    result = runner.invoke(args=["voices", "call", asha.phone, "--keys", "2,-,-,1"])
    assert result.exit_code == 0, result.output
    out = result.output.splitlines()
    assert out[0].startswith("Hello Asha") and "[presses 2]" in out and "Correct!" in out
    assert "We will ask this question again another day." in out
    assert db.exec(select(Answer)).all() == [] and db.exec(select(VoiceCall)).all() == []
    result = runner.invoke(args=["voices", "call", "9876543210", "--keys", "2", "--keep"])
    assert result.exit_code == 0, result.output
    assert [a.choice for a in db.exec(select(Answer)).all()] == [2]
    assert runner.invoke(args=["voices", "call", "+910000000000"]).exit_code != 0
