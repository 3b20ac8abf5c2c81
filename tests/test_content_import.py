"""``saathi content import`` and ``list``: packs go live idempotently; learners' history survives edits."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlmodel import func, select

from app.content.importer import ImportRefused, import_packs
from app.content.validator import validate_paths
from app.models import Answer, Card, Item, Learner, Module, Pack
from tests.factories import app_policy as _policy

PACKS = Path(__file__).parent / "data" / "packs"
GOOD = PACKS / "good"
SHIPPED = Path(__file__).resolve().parent.parent / "content"


@pytest.fixture
def pack(tmp_path) -> Path:
    return Path(shutil.copytree(GOOD / "hand-hygiene", tmp_path / "content" / "hand-hygiene"))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def load(path: Path):
    report = validate_paths([path], whole_packs=True)
    assert report.ok, [str(problem) for problem in report.errors]
    return report.packs


def snapshot(db) -> dict:
    db.expire_all()
    return {
        "packs": [(p.id, p.slug) for p in db.exec(select(Pack).order_by(Pack.id))],
        "modules": [(m.id, m.key, m.position, m.active) for m in db.exec(select(Module).order_by(Module.id))],
        "items": [(i.id, i.module_id, i.slug, i.position, i.active) for i in db.exec(select(Item).order_by(Item.id))],
    }


def test_import_creates_everything_then_reimport_changes_nothing(db, pack):
    first = import_packs(db=db, packs=load(pack))
    db.commit()
    assert first.created == ["hand-hygiene", "hand-hygiene/washing", "hand-hygiene/washing#when-to-wash",
                             "hand-hygiene/washing#how-long", "hand-hygiene/gloves", "hand-hygiene/gloves#torn-glove"]
    before = snapshot(db)
    assert [key for _, key, _, _ in before["modules"]] == ["hand-hygiene/washing", "hand-hygiene/gloves"]
    item = db.exec(select(Item).where(Item.slug == "when-to-wash")).one()
    assert item.options[1] == {"en": "Before food and after the toilet", "hi": "खाने से पहले, शौचालय के बाद",
                               "nb": "Før mat og etter toalettet", "nl": "Voor het eten en na de wc"}
    assert (item.answer, item.audio) == (2, {"hi": "audio/hi/when-to-wash.mp3"})

    again = import_packs(db=db, packs=load(pack))
    db.commit()
    assert (again.created, again.updated, again.retired, len(again.unchanged)) == ([], [], [], 6)
    assert again.lines() == ["0 created, 0 updated, 0 retired, 6 unchanged"]
    assert snapshot(db) == before


def test_an_edited_question_keeps_its_item_and_its_learners_history(app, db, pack, clock):
    import_packs(db=db, packs=load(pack))
    db.commit()
    card, answer, item_id = learner_history(app, db, clock)
    assert db.get(Item, item_id).slug == "when-to-wash"
    edit(pack / "washing.yaml", 'en: "When do you wash your hands?"', 'en: "When must you wash your hands?"')

    summary = import_packs(db=db, packs=load(pack))
    db.commit()
    assert summary.updated == ["hand-hygiene/washing#when-to-wash"]
    db.expire_all()
    same = db.exec(select(Item).where(Item.slug == "when-to-wash")).one()
    assert same.id == item_id
    assert same.question["en"] == "When must you wash your hands?"
    assert db.get(Card, card).item_id == item_id
    assert db.get(Answer, answer).item_id == item_id


def test_a_removed_item_is_retired_with_its_answers_kept(app, db, pack, clock):
    import_packs(db=db, packs=load(pack))
    db.commit()
    item = db.exec(select(Item).where(Item.slug == "when-to-wash")).one()
    _, answer, _ = learner_history(app, db, clock)
    text = (pack / "washing.yaml").read_text(encoding="utf-8")
    start, end = text.index("  - slug: when-to-wash"), text.index("  - slug: how-long")
    (pack / "washing.yaml").write_text(text[:start] + text[end:], encoding="utf-8")

    summary = import_packs(db=db, packs=load(pack))
    db.commit()
    assert summary.retired == ["hand-hygiene/washing#when-to-wash"]
    assert summary.updated == ["hand-hygiene/washing#how-long"]  # it moved up to position 0
    db.expire_all()
    assert db.get(Item, item.id).active is False
    assert db.get(Answer, answer).item_id == item.id
    assert db.exec(select(func.count()).select_from(Item)).one() == 3

    # Put back, it comes back to life on the same row.
    (pack / "washing.yaml").write_text(text, encoding="utf-8")
    summary = import_packs(db=db, packs=load(pack))
    db.commit()
    db.expire_all()
    assert "hand-hygiene/washing#when-to-wash" in summary.updated
    assert db.get(Item, item.id).active is True


def test_a_module_dropped_from_pack_yaml_is_retired_with_its_items(db, pack):
    import_packs(db=db, packs=load(pack))
    db.commit()
    edit(pack / "pack.yaml", "modules: [washing, gloves]", "modules: [gloves, washing]")
    summary = import_packs(db=db, packs=load(pack))
    assert summary.updated == ["hand-hygiene/gloves", "hand-hygiene/washing"]  # positions swapped
    (pack / "washing.yaml").unlink()
    edit(pack / "pack.yaml", "modules: [gloves, washing]", "modules: [gloves]")
    summary = import_packs(db=db, packs=load(pack))
    db.commit()
    assert summary.retired == ["hand-hygiene/washing", "hand-hygiene/washing#when-to-wash",
                               "hand-hygiene/washing#how-long"]
    db.expire_all()
    washing = db.exec(select(Module).where(Module.key == "hand-hygiene/washing")).one()
    assert washing.active is False
    assert not any(item.active for item in db.exec(select(Item).where(Item.module_id == washing.id)))


def test_a_partly_loaded_pack_is_refused(db, pack):
    report = validate_paths([pack / "gloves.yaml"])  # one module only: importing would retire the other
    assert report.ok
    with pytest.raises(ImportRefused):
        import_packs(db=db, packs=report.packs)
    assert db.exec(select(func.count()).select_from(Pack)).one() == 0


def test_the_shipped_content_imports(db):
    summary = import_packs(db=db, packs=load(SHIPPED))
    db.commit()
    assert {"digital-banking/upi-safety", "communication/greeting-clients"} <= set(summary.created)
    assert db.exec(select(func.count()).select_from(Item)).one() == sum(
        len(module.module.items) for pack in load(SHIPPED) for module in pack.modules)


def learner_history(app, db, clock) -> tuple[int, int, int]:
    """A session on ``washing`` held, its first question sent, and one learner's answer "2":
    ``(card id, answer id, item id)``."""
    from app.learning.inbound import receive_sms
    from app.learning.sessions import complete_session
    from app.scheduling.dispatcher import dispatch_once
    from tests.factories import cohort, make_learners

    learner: Learner = make_learners(db, clock.now())[0]
    module = db.exec(select(Module).where(Module.key == "hand-hygiene/washing")).one()
    complete_session(db=db, cohort=cohort(db), module=module, held_at=clock.now(), now=clock.now())
    db.commit()
    dispatch_once(app=app)
    receive_sms(db=db, sid="SM0001", from_number=learner.phone, body="2", now=clock.now(), policy=_policy())
    db.commit()
    answer = db.exec(select(Answer)).one()
    card = db.exec(select(Card).where(Card.item_id == answer.item_id, Card.learner_id == learner.id)).one()
    return card.id, answer.id, answer.item_id


# --- The commands ---------------------------------------------------------------------------------

def test_import_command_prints_what_changed(runner, pack, db):
    result = runner.invoke(args=["content", "import", str(pack)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:2] == ["created hand-hygiene", "created hand-hygiene/washing"]
    assert result.output.splitlines()[-1] == "6 created, 0 updated, 0 retired, 0 unchanged"
    result = runner.invoke(args=["content", "import", str(pack / "gloves.yaml")])  # a file imports its pack
    assert result.output.splitlines() == ["0 created, 0 updated, 0 retired, 6 unchanged"]


def test_import_command_refuses_anything_when_one_pack_has_an_error(runner, pack, db):
    shutil.copytree(PACKS / "broken" / "syntax", pack.parent / "syntax")
    result = runner.invoke(args=["content", "import", str(pack.parent)])
    assert result.exit_code == 1
    assert "syntax/colon.yaml:4: YAML syntax error" in result.output
    assert result.output.splitlines()[-1] == "nothing imported: fix the errors above first"
    assert db.exec(select(func.count()).select_from(Pack)).one() == 0


def test_list_command_shows_ids_languages_and_item_counts(runner, pack, app):
    app.config["CONTENT_DIR"] = str(pack.parent)
    result = runner.invoke(args=["content", "list"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["hand-hygiene/washing\ten,hi,nb,nl\t2 items",
                                          "hand-hygiene/gloves\ten,hi,nb,nl\t1 item"]
    runner.invoke(args=["content", "import"])
    (pack / "gloves.yaml").unlink()
    edit(pack / "pack.yaml", "modules: [washing, gloves]", "modules: [washing]")
    runner.invoke(args=["content", "import"])
    result = runner.invoke(args=["content", "list", "--db"])
    assert result.output.splitlines() == ["hand-hygiene/washing\ten,hi,nb,nl\t2 items",
                                          "hand-hygiene/gloves\ten,hi,nb,nl\t0 items  (retired)"]
