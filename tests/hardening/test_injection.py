"""SQL and HTML injected through SMS bodies and CSV imports: stored verbatim, shown escaped.

Every staff page a signed-in admin can GET is crawled (ids filled in), so a page added
later is covered without touching this test.
"""
from __future__ import annotations

import csv
import io
import re
import uuid

from sqlmodel import select

from app import create_app
from app.db import session_scope
from app.learning.inbound import receive_sms
from app.learning.sessions import complete_session
from app.models import Cohort, Feedback, Inbound, Learner
from app.people.learners import import_learners
from app.people.sites import add_site
from app.scheduling.dispatcher import dispatch_once
from tests.factories import app_policy as _policy
from tests.factories import make_module
from tests.hardening.conftest import sign_in

SCRIPT = '<script>alert("x")</script>'
IMG = "<img src=x onerror=alert(1)>"
SQL = "Robert'); DROP TABLE learner;--"
SITE = f"Andheri {SCRIPT}"
CSV_ROWS = [("phone", "name", "site", "language", "cohort"),
            ("+919876543210", SCRIPT, SITE, "en", IMG),
            ("+919876543211", SQL, SITE, "en", IMG)]
REPLIES = ["2", "2", "1", "5", f"{SCRIPT} {IMG} {SQL}"]
RAW = re.compile(r"<script>alert|<img src=x onerror", re.IGNORECASE)


def _world(app, now):
    with app.app_context(), session_scope(app) as db:
        add_site(db=db, name=SITE, country="IN")
        sheet = io.StringIO()
        csv.writer(sheet).writerows(CSV_ROWS)
        report = import_learners(db=db, csv_text=sheet.getvalue(), now=now)
        assert not report.errors, report.errors
        module = make_module(db)
        complete_session(db=db, cohort=db.exec(select(Cohort)).one(), module=module, held_at=now, now=now)
    dispatch_once(app=app)
    with app.app_context(), session_scope(app) as db:
        for phone in ("+919876543210", "+919876543211"):
            for text in REPLIES:
                receive_sms(db=db, sid="SM" + uuid.uuid4().hex, from_number=phone, body=text, now=now, policy=_policy())


def _get_routes(app) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("static", "observability.metrics"):
            continue
        if any(conv.__class__.__name__ != "IntegerConverter" for conv in rule._converters.values()):
            continue
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<int:{name}>", "1")
        urls.append(url)
    return sorted(set(urls))


def test_injected_text_is_stored_verbatim_and_escaped_on_every_page(app_config, clock):
    app = create_app({**app_config, "WTF_CSRF_ENABLED": False})
    _world(app, clock.now())
    with app.app_context(), session_scope(app) as db:
        names = {l.name for l in db.exec(select(Learner)).all()}
        assert names == {SCRIPT, SQL}  # verbatim, and the learner table is still there
        assert db.exec(select(Cohort)).one().name == IMG
        comments = {f.comment for f in db.exec(select(Feedback)).all() if f.comment}
        assert comments == {REPLIES[-1]}
        assert REPLIES[-1] in {i.body for i in db.exec(select(Inbound)).all()}
    client = app.test_client()
    sign_in(client, app)
    shown, pages = 0, []
    for url in _get_routes(app):
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        page = response.get_data(as_text=True)
        pages.append(url)
        assert not RAW.search(page), f"{url} shows injected markup unescaped"
        shown += "&lt;script&gt;alert" in page or "&lt;img src=x onerror" in page
    print(f"\n{len(pages)} staff pages rendered, {shown} of them show the injected text (escaped)")
    assert shown >= 3, pages
    app.extensions["saathi.engine"].dispose()
