"""The trainer's workspace: mark sessions held, import learners, upload, check, preview and
publish content packs."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from sqlmodel import func, select

from app.models import Item, Learner, Module, Pack, Prompt, TrainingSession
from tests.web.conftest import app_db
from tests.web.test_dashboard import text_of


def test_marking_a_session_as_held_queues_the_quiz(web_app, as_user, world, clock):
    client = as_user("trainer_a")
    page = client.get("/workspace/sessions").data.decode()
    assert "andheri-march (Andheri Mall)" in page and "oslo-mars" not in page
    assert 'value="2026-03-02T14:30"' in page  # now, in the site's time
    response = client.post("/workspace/sessions", data={"cohort": world.cohort_a, "module": world.module,
                                                        "held_at": "2026-03-02T11:00"}, follow_redirects=True)
    assert b"Session recorded. The quiz is queued for 2 learners." in response.data
    with app_db(web_app) as db:
        held = db.exec(select(TrainingSession).order_by(TrainingSession.id.desc())).first()
        assert held.created_by == world.trainer_a and held.cohort_id == world.cohort_a
        assert held.held_at.isoformat() == "2026-03-02T05:30:00+00:00"  # 11:00 in Mumbai
        assert db.exec(select(func.count(Prompt.id)).where(Prompt.training_session_id == held.id)).one() == 12
    again = client.post("/workspace/sessions", data={"cohort": world.cohort_a, "module": world.module,
                                                     "held_at": "2026-03-02T11:00"}, follow_redirects=True)
    assert b"The session was not recorded" in again.data and b"already has" in again.data
    future = client.post("/workspace/sessions", data={"cohort": world.cohort_a, "module": world.module,
                                                      "held_at": "2026-03-09T11:00"}, follow_redirects=True)
    assert b"in the future" in future.data


def test_importing_learners_reports_each_bad_row(web_app, as_user, world):
    sheet = ("phone,name,site,language,cohort\n"
             "+919876543220,Meena Rao,Andheri Mall,en,andheri-april\n"
             "12345,Bad Number,Andheri Mall,en,andheri-april\n"
             "+919876543221,No Language,Andheri Mall,klingon,andheri-april\n"
             "+919876543210,Asha Devi,Andheri Mall,hi,andheri-march\n")
    client = as_user("trainer_a")
    response = client.post("/workspace/learners/import",
                           data={"file": (io.BytesIO(sheet.encode()), "learners.csv")},
                           content_type="multipart/form-data")
    page = text_of(response.data.decode())
    assert "1 created, 1 updated, 0 unchanged, 2 rejected." in page
    assert re.search(r"3 '12345' is not a valid phone number", page)
    assert re.search(r"4 unknown language 'klingon'", page)
    with app_db(web_app) as db:
        assert db.exec(select(Learner).where(Learner.name == "Meena Rao")).one().site_id == world.site_a
        assert db.get(Learner, world.asha).language == "hi"
    missing = client.post("/workspace/learners/import", data={"text": "phone,name\n+919876543222,X\n"})
    assert "missing column(s): site, language, cohort" in text_of(missing.data.decode())
    latin1 = client.post("/workspace/learners/import", data={"file": (io.BytesIO("é".encode("latin-1")), "x.csv")},
                         content_type="multipart/form-data", follow_redirects=True)
    assert b"not UTF-8" in latin1.data


def test_admin_import_may_create_sites(web_app, as_user, world):
    sheet = "phone,name,site,language,cohort\n+31612000001,Hassan Ali,Utrecht Werkplein,nl,utrecht-1\n"
    page = text_of(as_user("admin").post("/workspace/learners/import", data={"text": sheet}).data.decode())
    assert "1 created" in page and "New sites: Utrecht Werkplein" in page


def upload(client, name: str, data: bytes, pack: str = ""):
    return client.post("/workspace/content/upload", data={"file": (io.BytesIO(data), name), "pack": pack},
                       content_type="multipart/form-data")


def zip_of(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            archive.write(path, f"{folder.name}/{path.relative_to(folder).as_posix()}")
    return buffer.getvalue()


def test_a_broken_module_shows_file_line_errors_and_cannot_be_published(web_app, web_config, as_user, world):
    client = as_user("trainer_a")
    text = (Path(web_config["CONTENT_DIR"]) / "digital-banking" / "upi-safety.yaml").read_text()
    broken = text.replace("    answer: 2\n", "    answer: 9\n", 1)
    response = upload(client, "upi-safety.yaml", broken.encode(), pack="digital-banking")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).data.decode()
    line = next(n for n, row in enumerate(text.splitlines(), start=1) if row == "    answer: 2")
    assert re.search(rf"digital-banking/upi-safety\.yaml:{line}: ", text_of(page)), text_of(page)[:2000]
    assert 'id="publish"' not in page
    token = response.headers["Location"].rsplit("/", 1)[1]
    refused = client.post(f"/workspace/content/drafts/{token}/publish", follow_redirects=True)
    assert b"This draft has errors" in refused.data
    with app_db(web_app) as db:
        assert db.exec(select(Pack).where(Pack.slug == "digital-banking")).one().source_hash is None
    # Someone else cannot open the draft.
    assert as_user("trainer_b").get(response.headers["Location"]).status_code == 404
    # Not YAML at all.
    response = upload(client, "upi-safety.yaml", b"slug: [unclosed\n", pack="digital-banking")
    assert b"upi-safety.yaml:" in client.get(response.headers["Location"]).data


def test_a_good_pack_zip_is_priced_previewed_and_published(web_app, web_config, as_user, world):
    client = as_user("trainer_a")
    response = upload(client, "communication.zip", zip_of(Path(web_config["CONTENT_DIR"]) / "communication"))
    page = client.get(response.headers["Location"]).data.decode()
    assert 'id="no-errors"' in page and 'id="publish"' in page
    costs = text_of(page.split('id="costs"')[1].split("</table>")[0])
    assert "हिन्दी question 15" in costs and "UCS-2" in costs and "English question 15" in costs
    assert "Q1/5" in page  # each question as the learner receives it
    token = response.headers["Location"].rsplit("/", 1)[1]
    published = client.post(f"/workspace/content/drafts/{token}/publish", follow_redirects=True)
    assert b"Published: 19 created" in published.data  # 1 pack, 3 modules, 15 items
    with app_db(web_app) as db:
        modules = db.exec(select(Module).join(Pack).where(Pack.slug == "communication")).all()
        assert len(modules) == 3 and all(m.active for m in modules)
        preview_id = modules[0].id
    assert client.get(f"/workspace/content/drafts/{token}").status_code == 404  # used up
    preview = client.get(f"/workspace/modules/{preview_id}/preview").data.decode()
    assert "Q1/5" in preview and "हिन्दी" in preview and "UCS-2" in preview and "GSM-7" in preview


def test_editing_in_the_textarea_publishes_in_place(web_app, web_config, as_user, world):
    client = as_user("trainer_a")
    page = client.get("/workspace/content/edit?pack=digital-banking&file=upi-safety.yaml").data.decode()
    assert "A caller asks for your UPI PIN" in page
    text = (Path(web_config["CONTENT_DIR"]) / "digital-banking" / "upi-safety.yaml").read_text()
    edited = text.replace("A caller asks for your UPI PIN to send you money.",
                          "A caller wants your UPI PIN to send you money.")
    response = client.post("/workspace/content/edit?pack=digital-banking",
                           data={"pack": "digital-banking", "filename": "upi-safety.yaml", "text": edited})
    draft = client.get(response.headers["Location"]).data.decode()
    assert 'id="publish"' in draft, text_of(draft)[:1500]
    token = response.headers["Location"].rsplit("/", 1)[1]
    assert b"Published:" in client.post(f"/workspace/content/drafts/{token}/publish", follow_redirects=True).data
    with app_db(web_app) as db:
        item = db.exec(select(Item).join(Module).where(Module.key == "digital-banking/upi-safety",
                                                        Item.slug == "never-share-pin")).one()
        assert item.id is not None and item.active  # the world's item kept its row (and its answers)
        assert item.question["en"].startswith("A caller wants your UPI PIN")
    # The next edit starts from what is live, not from the content folder.
    page = client.get("/workspace/content/edit?pack=digital-banking&file=upi-safety.yaml").data.decode()
    assert "A caller wants your UPI PIN" in page


def test_a_module_file_without_a_pack_is_checked_but_not_publishable(as_user, web_config, world):
    client = as_user("trainer_a")
    text = (Path(web_config["CONTENT_DIR"]) / "digital-banking" / "otp-fraud.yaml").read_bytes()
    response = upload(client, "otp-fraud.yaml", text)
    page = client.get(response.headers["Location"]).data.decode()
    assert "pick its pack to publish it" in page and 'id="publish"' not in page


def test_only_yaml_or_zip_files_are_accepted(as_user, world):
    response = upload(as_user("trainer_a"), "notes.txt", b"hello")
    assert response.status_code == 302 and response.headers["Location"] == "/workspace/content"
    assert upload(as_user("trainer_a"), "x.zip", b"not a zip").status_code == 302
    assert as_user("trainer_a").get("/workspace/content/drafts/..%2F..%2Fetc").status_code == 404
    assert as_user("trainer_a").get("/workspace/content/edit?pack=../../etc").status_code == 404
