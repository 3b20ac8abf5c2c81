"""SMS segment maths: what a text costs is what the cost table and the trainer see."""
from __future__ import annotations

import pytest

from app.messaging.segments import GSM7, UCS2, count_segments, gsm7_lookalike_fix


@pytest.mark.parametrize("length, segments", [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)])
def test_gsm7_segments(length, segments):
    info = count_segments("a" * length)
    assert (info.encoding, info.units, info.segments) == (GSM7, length, segments)


def test_empty_text_is_one_segment():
    assert count_segments("").segments == 1


@pytest.mark.parametrize("char", list("^{}[]~|€\\"))
def test_extension_characters_count_double(char):
    assert count_segments(char).units == 2
    assert count_segments(char * 80).segments == 1
    info = count_segments("a" * 159 + char)
    assert (info.encoding, info.units, info.segments) == (GSM7, 161, 2)


def test_an_extension_escape_is_never_split_across_parts():
    # 152 plain characters then '€' (2 septets): the escape would straddle the 153 boundary.
    info = count_segments("a" * 152 + "€" + "a" * 10)
    assert info.units == 164
    assert info.segments == 2
    assert count_segments("a" * 152 + "€" * 77).segments == 3


@pytest.mark.parametrize("length, segments", [(70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)])
def test_devanagari_is_ucs2_at_70_then_67_per_part(length, segments):
    info = count_segments("क" * length)
    assert (info.encoding, info.units, info.segments) == (UCS2, length, segments)


def test_an_emoji_is_a_surrogate_pair_and_counts_two_units():
    info = count_segments("Well done 👍")
    assert info.encoding == UCS2
    assert info.units == len("Well done ") + 2
    assert "👍" in info.offending
    # 69 units then an emoji: 71 units, two parts; the pair is not split.
    assert count_segments("a" * 69 + "👍").segments == 2
    assert count_segments("a" * 66 + "👍" + "a" * 10).segments == 2


def test_a_curly_quote_forces_ucs2_and_the_fix_is_offered():
    text = "Don’t share your PIN"
    info = count_segments(text)
    assert info.encoding == UCS2
    assert info.offending == ("’",)
    assert gsm7_lookalike_fix(text) == "Don't share your PIN"
    assert count_segments(gsm7_lookalike_fix(text)).encoding == GSM7


def test_dashes_and_ellipsis_have_fixes_but_a_real_non_gsm_letter_does_not():
    assert gsm7_lookalike_fix("Wait – then reply…") == "Wait - then reply..."
    assert gsm7_lookalike_fix("Plain text") is None  # nothing to fix
    assert gsm7_lookalike_fix("Ideeën – graag") is None  # 'ë' stays UCS-2 whatever we replace


def test_gsm_letters_of_norwegian_stay_gsm7():
    assert count_segments("Æ Ø Å æ ø å").encoding == GSM7
