"""What Saathi says on a call, in the learner's language.

Spoken, not read: short sentences, numbers said as "press 2", nothing that only makes
sense on a screen ("reply with ..."). English strings are the catalog ids, as in
``app.learning.texts``; content texts (questions, options, explanations) come from the
pack through ``text_in``.
"""
from __future__ import annotations

from app import languages
from app.i18n import say
from app.learning.texts import text_in
from app.models import Item, Learner, Module


def first_name(learner: Learner) -> str:
    return learner.name.split()[0] if learner.name else ""


def greeting(learner: Learner, module: Module | None) -> str:
    lang = learner.language
    hello = say(lang, "Hello {name}, this is Saathi.", name=first_name(learner))
    if module is not None:
        hello += " " + say(lang, "Thank you for today's session on {module}.",
                           module=text_in(module.title, lang))
    return hello + " " + say(lang, "Answer each question with the keys on your phone.")


def question_number(lang: str, number: int, total: int) -> str:
    return say(lang, "Question {number} of {total}.", number=number, total=total)


def option(lang: str, number: int, text: str) -> str:
    """One option as the language reads a list aloud (``[calls] options`` in its file):
    "Press 2 for ..." where that is natural, else the number as the language says it
    ("இரண்டு") and the option, with the key to press still that number."""
    style = languages.get(lang).calls
    if style.option_format is None and style.options == "press":
        return say(lang, "Press {number} for {option}.", number=number, option=text)
    info = languages.get(lang)
    digit = "".join(info.digits[int(d)] for d in str(number))
    spoken = info.numbers[number - 1][0] if number <= len(info.numbers) else digit
    letters = info.option_letters.replace(" ", "")
    letter = letters[number - 1] if number <= len(letters) else digit
    template = style.option_format or "{number}. {option}"
    return template.format(number=spoken, digit=digit, letter=letter, option=text.rstrip(".!?। ") + ".")


def rating(lang: str) -> str:
    return say(lang, "How useful was today's session? Press a number from 1 to 5. 5 means very useful.")


def correct(lang: str) -> str:
    return say(lang, "Correct!")


def wrong(lang: str, item: Item) -> str:
    return say(lang, "Not quite. The answer is {number}, {option}. {explanation}", number=item.answer,
               option=text_in(item.options[item.answer - 1], lang),
               explanation=text_in(item.explanation, lang))


def thanks(lang: str) -> str:
    return say(lang, "Thank you!")


def thanks_rating(lang: str) -> str:
    return say(lang, "Thank you for your rating!")


def invalid_key(lang: str, count: int) -> str:
    return say(lang, "Please press a number from 1 to {count}.", count=count)


def no_key(lang: str) -> str:
    return say(lang, "I did not hear a key. Here is the question again.")


def skipped(lang: str) -> str:
    return say(lang, "We will ask this question again another day.")


def summary(lang: str, right: int, total: int) -> str:
    return say(lang, "You answered {right} of {total} questions correctly.", right=right, total=total)


def goodbye(lang: str) -> str:
    return say(lang, "Thank you for learning with Saathi. Goodbye!")


def nothing_to_ask(lang: str) -> str:
    return say(lang, "There are no questions for you right now. Goodbye!")


def unknown_caller(lang: str) -> str:
    return say(lang, "This number is not registered with Saathi. Please ask your trainer. Goodbye!")
