"""A stranger's text is answered by the answerers registered with learning, in order; learning
itself imports no area built on it (mentoring registers its answerer from the app factory)."""
from __future__ import annotations

import ast
from pathlib import Path

from app.learning.inbound import _from_stranger
from app.learning.strangers import STRANGERS, Strangers
from app.learning.texts import unknown_number_text
from app.mentoring import inbound as mentoring_inbound

LEARNING = Path(__file__).resolve().parent.parent / "app" / "learning"


def test_learning_imports_nothing_from_mentoring():
    for path in LEARNING.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n.startswith("app.mentoring") for n in names), path


def test_the_app_factory_registers_mentorings_answerer_once(app):
    from app import create_app

    create_app(app.config)  # a second app in the same process
    assert STRANGERS.answerers.count(mentoring_inbound.answer) == 1


def test_answerers_are_asked_in_order_and_the_first_reply_wins(db, clock):
    asked = []

    def nobody(db, *, phone, text, now):
        asked.append("nobody")

    def club(db, *, phone, text, now):
        asked.append("club")
        return f"club knows {phone}: {text}"

    def late(db, *, phone, text, now):
        asked.append("late")
        return "never"

    strangers = Strangers((nobody, club, late))
    reply = _from_stranger(db, sid="SMclub", channel="sms", from_number="+919999999999", to_number=None,
                           body="hi", now=clock.now(), strangers=strangers)
    assert reply.messages == ["club knows +919999999999: hi"] and asked == ["nobody", "club"]
    unknown = _from_stranger(db, sid="SMnone", channel="sms", from_number="+919999999998", to_number=None,
                             body="hi", now=clock.now(), strangers=Strangers((nobody,)))
    assert unknown.messages == [unknown_number_text("+919999999998")]
