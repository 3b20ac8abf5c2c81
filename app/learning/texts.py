"""Everything Saathi itself says to a learner, in the learner's language.

The English strings are catalog ids (``say`` looks them up in ``locales/``); keep them
short: each is paid for by the segment, on someone else's phone.
"""
from __future__ import annotations

from sqlalchemy.orm import object_session

from app import languages
from app.content.render import render_question
from app.i18n import LANGUAGES, say
from app.journeys import checkins, milestones
from app.learning.prompt_kinds import is_question
from app.messaging.segments import is_gsm7
from app.models import Item, Learner, Module, Prompt
from app.people.phones import region_of


def text_in(texts: dict, lang: str) -> str:
    """A content text in ``lang``, falling back to English, then to any language."""
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()), "")


def question_text(item: Item, lang: str, number: int | None = None, total: int | None = None) -> str:
    options = [text_in(opt, lang) for opt in item.options]
    return render_question(text_in(item.question, lang), options, number, total)


def greeting_text(learner: Learner, module: Module) -> str:
    lang = learner.language
    if module.greeting:
        return text_in(module.greeting, lang)
    return say(lang, "Hello {name}! Thank you for today's session on {module}.",
               name=learner.name.split()[0] if learner.name else "", module=text_in(module.title, lang))


def rating_text(learner: Learner, module: Module | None) -> str:
    custom = (module.feedback or {}).get("rating") if module else None
    if custom:
        return text_in(custom, learner.language)
    return say(learner.language, "How useful was today's session? Reply 1 to 5 (5 = very useful).")


def comment_text(learner: Learner, module: Module | None) -> str:
    custom = (module.feedback or {}).get("comment") if module else None
    if custom:
        return text_in(custom, learner.language)
    return say(learner.language, "Anything to tell your trainer? Reply with a short message, or 0 to skip.")


def correct_text(lang: str) -> str:
    return say(lang, "Correct!")


def wrong_text(lang: str, item: Item) -> str:
    return say(lang, "The answer is {number}: {explanation}", number=item.answer,
               explanation=text_in(item.explanation, lang))


def reask_choice_text(lang: str, count: int) -> str:
    return say(lang, "Please reply with a number from 1 to {count}.", count=count)


def reask_rating_text(lang: str) -> str:
    return say(lang, "Please reply with a number from 1 to 5.")


def thanks_rating_text(lang: str) -> str:
    return say(lang, "Thank you for your rating!")


def thanks_comment_text(lang: str) -> str:
    return say(lang, "Thank you! Your trainer will read this.")


def reminder_text(lang: str, prompt_body: str) -> str:
    return say(lang, "Reminder:") + " " + prompt_body


def help_text(lang: str) -> str:
    return say(lang, "Saathi sends short questions after your training. Reply with the number "
                     "of your answer. QUIZ: practice now. SCORE: your progress. STOP: no more messages.")


def stopped_text(lang: str) -> str:
    return say(lang, "You will get no more messages from Saathi. Reply START to begin again.")


def started_text(lang: str) -> str:
    return say(lang, "Welcome back! Saathi will send your questions again. Reply STOP to stop.")


def language_set_text(lang: str) -> str:
    return say(lang, "Saathi will now write to you in {language}.", language=LANGUAGES[lang])


def language_unknown_text(lang: str) -> str:
    """Each language by its own name, except that a reader of a GSM-7 language gets names
    in Latin letters (one Devanagari word would turn the whole SMS into UCS-2 and double its
    cost): its own name when that is GSM-7, else its English name."""
    gsm7 = languages.get(lang).gsm7
    names = {code: (info.name if not gsm7 or is_gsm7(info.name) else info.english_name)
             for code, info in languages.current().items()}
    return say(lang, "Languages: {choices}. Reply LANG and a code, e.g. LANG hi",
               choices=", ".join(f"{code} {name}" for code, name in names.items()))


def nothing_pending_text(lang: str) -> str:
    return say(lang, "Thank you! Your next question will come soon. Reply QUIZ to practice now.")


def no_practice_text(lang: str) -> str:
    return say(lang, "No practice questions yet. They come after your first session.")


def unknown_number_text(from_number: str) -> str:
    """A stranger has no language on file: guess it from the number's country (``regions``
    in the language files). India stays in English, the one language every Saathi site
    there shares (and the cheap GSM-7 one)."""
    lang = languages.current().by_region.get(region_of(from_number) or "", languages.DEFAULT_LANGUAGE)
    return say(lang, "This number is not registered with Saathi. Please ask your trainer.")


def score_text(lang: str, *, name: str, answered: int, correct: int, learned: int, total: int) -> str:
    percent = round(100 * correct / answered) if answered else 0
    return say(lang, "{name}: {answered} answers, right: {percent}%. {learned} of {total} questions learned.",
               name=name, answered=answered, percent=percent, learned=learned, total=total)


def prompt_body(prompt: Prompt, *, learner: Learner, item: Item | None, module: Module | None,
                number: int | None = None, total: int | None = None) -> str:
    """The text of a prompt as it goes out (without any greeting or reminder prefix)."""
    if is_question(prompt.kind):
        return question_text(item, learner.language, number, total)
    if prompt.kind == "rating":
        return rating_text(learner, module)
    if prompt.kind == "comment":
        return comment_text(learner, module)
    if prompt.kind == "greeting":
        return greeting_text(learner, module)
    if prompt.kind == checkins.KIND:
        return checkins.question_text(learner.language)
    if prompt.kind == milestones.KIND:
        return milestones.question_text(object_session(prompt), prompt, learner.language)
    raise ValueError(f"unknown prompt kind {prompt.kind}")
