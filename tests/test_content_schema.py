"""The pack format's rules, on plain data (what the web editor or a script would pass)."""
from __future__ import annotations

import copy

import pytest
from pydantic import ValidationError

from app.content.schema import explain, language_list, language_name, validate_module, validate_pack

ITEM = {
    "slug": "never-share-pin",
    "question": {"en": "A caller asks for your PIN. What do you do?", "hi": "कोई PIN मांगे तो?"},
    "options": [{"en": "Tell it", "hi": "बता दें"}, {"en": "Hang up", "hi": "फोन काटें"}],
    "answer": 2,
    "explanation": {"en": "Never share your PIN.", "hi": "PIN किसी को न बताएं।"},
}
MODULE = {
    "slug": "upi-safety",
    "title": {"en": "UPI safety", "hi": "UPI सुरक्षा"},
    "greeting": {"en": "Thank you for today's session.", "hi": "धन्यवाद।"},
    "items": [ITEM],
    "feedback": {"rating": {"en": "Rate 1 to 5.", "hi": "1 से 5 भेजें।"},
                 "comment": {"en": "Anything else? Or 0.", "hi": "कुछ और? या 0।"}},
}
LANGS = ["en", "hi"]


def module(**changes):
    data = copy.deepcopy(MODULE)
    data.update(changes)
    return data


def item(**changes):
    data = copy.deepcopy(ITEM)
    data.update(changes)
    return data


def messages(data, languages=LANGS):
    with pytest.raises(ValidationError) as caught:
        validate_module(data, languages=languages)
    return [explain(error, data)[1] for error in caught.value.errors()]


def test_a_good_module_validates_and_texts_are_trimmed():
    folded = module(greeting={"en": "Thank you.\n", "hi": "  धन्यवाद।  "})
    parsed = validate_module(folded, languages=LANGS)
    assert parsed.greeting == {"en": "Thank you.", "hi": "धन्यवाद।"}
    assert parsed.items[0].answer == 2


def test_every_text_must_be_in_every_language_the_pack_declares():
    assert messages(module(), languages=["en", "hi", "nl"])[:3] == [
        "the title has no Dutch text; add 'nl: ...'",
        "the greeting has no Dutch text; add 'nl: ...'",
        "item 'never-share-pin' has no Dutch text for the question; add 'nl: ...'",
    ]


def test_two_missing_languages_are_named_in_one_message():
    data = module(items=[item(options=[{"en": "Tell it"}, {"en": "Hang up", "hi": "फोन काटें"}])])
    assert messages(data, languages=["en", "hi", "nb"])[3] == \
        "item 'never-share-pin' has no Hindi or Norwegian text for option 1; add 'hi: ...' and 'nb: ...'"


def test_an_extra_known_language_is_allowed_but_an_unknown_one_is_not():
    validate_module(module(title={"en": "UPI", "hi": "UPI", "nl": "UPI"}), languages=LANGS)
    assert messages(module(title={"en": "UPI", "hi": "UPI", "fr": "UPI"})) == [
        f"unknown language code 'fr' in the title; Saathi speaks {language_list()}"]


@pytest.mark.parametrize("count, ok", [(1, False), (2, True), (4, True), (5, False)])
def test_two_to_four_options(count, ok):
    options = [{"en": f"O{n}", "hi": f"ओ{n}"} for n in range(count)]
    data = module(items=[item(options=options, answer=1)])
    if ok:
        validate_module(data, languages=LANGS)
    else:
        assert messages(data) == [(f"item 'never-share-pin' has {count} option{'s' if count > 1 else ''}; "
                                  "a question needs 2 to 4")]


@pytest.mark.parametrize("answer", [0, 3, -1])
def test_the_answer_must_be_one_of_the_options(answer):
    assert messages(module(items=[item(answer=answer)])) == [
        (f"item 'never-share-pin' has answer: {answer}, but only 2 options; "
        "the answer is the number of the right option (1 to 2)")]


@pytest.mark.parametrize("answer", [True, "two", 1.5])
def test_the_answer_must_be_a_whole_number(answer):
    assert messages(module(items=[item(answer=answer)])) == [
        "the answer of item 'never-share-pin' should be a whole number, like 2"]


@pytest.mark.parametrize("slug", ["Never-Share", "never_share", "-never", "never--share", "नियम", ""])
def test_slugs_are_lowercase_letters_digits_and_dashes(slug):
    assert "is not a valid slug" in messages(module(items=[item(slug=slug)]))[0]


def test_item_slugs_are_unique_within_a_module():
    data = module(items=[item(), item(slug="other"), item()])
    with pytest.raises(ValidationError) as caught:
        validate_module(data, languages=LANGS)
    loc, message = explain(caught.value.errors()[0], data)
    assert loc == ("items", 2, "slug")
    assert message == "item slug 'never-share-pin' is used twice (items 1 and 3); give each item its own slug"


def test_a_misspelt_key_is_an_error_with_a_suggestion():
    assert messages(module(items=[item(explaination="x")])) == [
        "unknown key 'explaination' in item 'never-share-pin'; did you mean 'explanation'?"]


def test_empty_and_non_text_translations():
    data = module(greeting={"en": "   ", "hi": None}, title={"en": 5, "hi": "UPI"})
    assert messages(data) == [
        "the English text for the title should be text, but YAML read 5; put it in double quotes",
        "the English text for the greeting is empty",
        "the Hindi text for the greeting is empty",
    ]


def test_pack_languages_must_be_known_and_listed_once():
    pack = {"slug": "digital-banking", "title": {"en": "Digital banking"}, "languages": ["en", "en", "xx"],
            "modules": ["upi-safety"]}
    with pytest.raises(ValidationError) as caught:
        validate_pack(pack)
    assert [explain(error, pack)[1] for error in caught.value.errors()] == [
        f"unknown language code 'xx' in languages; Saathi speaks {language_list()}"]
    pack["languages"] = ["en", "hi", "en"]
    with pytest.raises(ValidationError) as caught:
        validate_pack(pack)
    assert [explain(error, pack)[1] for error in caught.value.errors()] == [
        "the title has no Hindi text; add 'hi: ...'", "language 'en' is listed twice in languages; list it once"]


def test_language_names_are_english_for_the_trainer():
    assert [language_name(code) for code in ("en", "hi", "nb", "nl")] == ["English", "Hindi", "Norwegian", "Dutch"]
