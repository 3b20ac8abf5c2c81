"""A module as each learner would receive it, message by message, with its SMS cost.

Uses the engine's own texts (``app.learning.texts``: greeting, question through
``render_question``, wrong-answer reply, rating and comment questions), so the preview is
what goes out, whether the module is live (database rows) or only a draft (schema objects).
"""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from app.learning import texts
from app.messaging.segments import count_segments


@dataclass
class Message:
    kind: str  # greeting | question | wrong | rating | comment
    item: str | None
    text: str
    encoding: str
    units: int
    segments: int


@dataclass
class LanguagePreview:
    language: str
    messages: list[Message]

    @property
    def segments(self) -> int:
        return sum(m.segments for m in self.messages)


def _message(kind: str, text: str, item: str | None = None) -> Message:
    info = count_segments(text)
    return Message(kind, item, text, info.encoding, info.units, info.segments)


def preview(*, title: dict, greeting: dict, feedback: dict, items: list, languages: list[str],
            learner_name: str = "Asha") -> list[LanguagePreview]:
    """``items``: objects with ``slug``, ``question``, ``options`` (list of {lang: text}),
    ``answer`` and ``explanation``, as both ``Item`` rows and schema items have."""
    module = SimpleNamespace(title=title or {}, greeting=greeting or {}, feedback=feedback or {})
    out = []
    for lang in languages:
        learner = SimpleNamespace(language=lang, name=learner_name)
        messages = [_message("greeting", texts.greeting_text(learner, module))]
        for number, item in enumerate(items, start=1):
            messages.append(_message("question", texts.question_text(item, lang, number, len(items)), item.slug))
            messages.append(_message("wrong", texts.wrong_text(lang, item), item.slug))
        messages.append(_message("rating", texts.rating_text(learner, module)))
        messages.append(_message("comment", texts.comment_text(learner, module)))
        out.append(LanguagePreview(lang, messages))
    return out


def preview_row(module, items, languages: list[str]) -> list[LanguagePreview]:
    """Preview of a live module (``Module`` row and its active ``Item`` rows)."""
    return preview(title=module.title, greeting=module.greeting, feedback=module.feedback or {},
                   items=items, languages=languages)


def preview_schema(module, languages: list[str]) -> list[LanguagePreview]:
    """Preview of a validated draft module (``app.content.schema.Module``)."""
    feedback = {"rating": dict(module.feedback.rating), "comment": dict(module.feedback.comment)}
    items = [SimpleNamespace(slug=i.slug, question=dict(i.question), options=[dict(o) for o in i.options],
                             answer=i.answer, explanation=dict(i.explanation)) for i in module.items]
    return preview(title=dict(module.title), greeting=dict(module.greeting), feedback=feedback, items=items,
                   languages=languages)
