"""``Explained`` (a refusal raised as ValueError) says itself as ``Said`` does: in the reader's
language, with nested parameters said in that language too."""
from __future__ import annotations

import pickle

from app.i18n import N_, Explained, Said, say
from app.people.phones import PhoneError

OUTER = N_("{where} must be a path inside the pack folder, not '{path}'")
INNER = N_("the {language} audio of item '{slug}'")


def test_a_nested_parameter_is_said_in_the_readers_language():
    where = Said(INNER, language="Hindi", slug="wash-hands")
    exc = Explained(OUTER, where=where, path="../x.mp3")
    tamil = exc.said("ta")
    assert tamil == say("ta", OUTER, where=say("ta", INNER, language="Hindi", slug="wash-hands"), path="../x.mp3")
    assert tamil == Said(OUTER, where=where, path="../x.mp3").said("ta")
    assert "audio of item" not in tamil and "wash-hands" in tamil  # the inner words are Tamil too
    assert str(exc) == "the Hindi audio of item 'wash-hands' must be a path inside the pack folder, not '../x.mp3'"


def test_a_subclass_keeps_its_id_values_and_type_through_pickle():
    exc = PhoneError(N_("'{raw}' is not an e-mail address"), raw="a b")
    assert (exc.msgid, exc.params, exc.args) == ("'{raw}' is not an e-mail address", {"raw": "a b"},
                                                 ("'a b' is not an e-mail address",))
    again = pickle.loads(pickle.dumps(exc))
    assert type(again) is PhoneError and again.said("hi") == exc.said("hi") != str(exc)
