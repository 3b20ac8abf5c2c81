"""The public impact page: off until an admin turns it on, no login, aggregate numbers only,
counts under 5 shown as "fewer than 5", consented testimonials without a name, in the
programme's languages, and the same numbers as JSON."""
from __future__ import annotations

import re
from datetime import date
from html import unescape

from sqlmodel import select

from app.journeys import milestones
from app.journeys.steps import record_step
from app.models import Feedback, ImpactPage, Learner
from app.people.learners import import_learners
from app.reports.feedback import set_testimonial
from app.web.dashboard.privacy import erase_learner, export_learner
from tests.web.conftest import app_db, csrf_token

MORE = """phone,name,site,language,cohort
+919876500011,Kavita Joshi,Andheri Mall,en,andheri-march
+919876500012,Deepak Shah,Andheri Mall,en,andheri-march
+919876500013,Farah Khan,Andheri Mall,en,andheri-march
+919876500014,Imran Ali,Andheri Mall,en,andheri-march
"""


def seed(web_app, world, clock):
    """Six learners at Andheri, five graduated, one of them in work; one testimonial."""
    with app_db(web_app) as db:
        assert not import_learners(db=db, csv_text=MORE, now=clock.now()).errors
        andheri = db.exec(select(Learner).where(Learner.site_id == world.site_a).order_by(Learner.id)).all()
        for learner in andheri[:5]:
            record_step(db=db, learner=learner, stage="graduated", starts_on=date(2026, 1, 10), now=clock.now())
        record_step(db=db, learner=andheri[0], stage="outcome", kind="contract", starts_on=date(2026, 2, 1),
                    now=clock.now())
        milestones.confirm(db, learner=andheri[0], key="cv", now=clock.now(), user_id=world.admin)
        set_testimonial(db=db, feedback=db.get(Feedback, world.feedback_a), consent=True, now=clock.now())
        return [(l.name, l.phone) for l in db.exec(select(Learner)).all()]


def turn_on(client, world, enabled=True, languages=("en", "hi")):
    page = client.get("/journeys/impact").data.decode()
    return client.post(f"/journeys/impact/{world.site_a}", follow_redirects=True,
                       data={"csrf_token": csrf_token(page), "slug": "andheri-mall", "languages": list(languages),
                             **({"enabled": "1"} if enabled else {})})


def test_off_by_default_then_public_with_aggregates_only(web_app, world, clock, as_user):
    people = seed(web_app, world, clock)
    anonymous = web_app.test_client()
    assert ImpactPage(site_id=world.site_b, slug="x").enabled is False  # off unless turned on
    assert anonymous.get("/impact/andheri-mall").status_code == 404
    assert as_user("supervisor_a").get("/journeys/impact").status_code == 403
    admin = as_user("admin")
    assert "Impact page saved." in turn_on(admin, world).data.decode()
    html = anonymous.get("/impact/andheri-mall").data.decode()
    assert "Impact of Andheri Mall" in html and 'lang="en"' in html
    assert '<span class="value">6</span><span class="label">Enrolled' in html
    assert '<span class="value">5</span><span class="label">Graduated' in html
    assert "fewer than 5</span><span class=\"label\">In work" in html  # one person in work: hidden
    assert "Very useful, thank you" in html  # the consented testimonial, without its author
    data = anonymous.get("/impact/andheri-mall.json").get_json()
    assert data["enrolled"] == {"value": 6, "fewer_than": None}
    assert data["in_work_education_or_practice"] == {"value": None, "fewer_than": 5}
    assert {m["key"]: m["value"] for m in data["milestones"]}["cv"] is None
    assert data["testimonials"] == ["Very useful, thank you"]
    hindi = anonymous.get("/impact/andheri-mall?lang=hi").data.decode()
    assert 'lang="hi"' in hindi and "Enrolled" not in hindi
    assert anonymous.get("/impact/andheri-mall?lang=nb").data.decode().count('<html lang="en"') == 1  # not its language
    for text in (html, hindi, str(data)):
        for name, phone in people:
            assert name not in text and phone not in text and phone[-6:] not in text
            for part in name.split():
                assert part not in text


def test_a_withdrawn_testimonial_and_a_page_turned_off_disappear(web_app, world, clock, as_user):
    seed(web_app, world, clock)
    admin = as_user("admin")
    turn_on(admin, world)
    anonymous = web_app.test_client()
    with app_db(web_app) as db:
        exported = export_learner(db=db, learner=db.get(Learner, world.asha))
        assert [t["comment"] for t in exported["testimonials"]] == ["Very useful, thank you"]
    with app_db(web_app) as db:
        set_testimonial(db=db, feedback=db.get(Feedback, world.feedback_a), consent=False, now=clock.now())
    assert "Very useful" not in anonymous.get("/impact/andheri-mall").data.decode()
    turn_on(admin, world, enabled=False)
    assert anonymous.get("/impact/andheri-mall").status_code == 404
    assert anonymous.get("/impact/andheri-mall.json").status_code == 404
    assert anonymous.get("/impact/no-such-programme").status_code == 404
    with app_db(web_app) as db:
        assert db.exec(select(ImpactPage.enabled)).one() is False


def test_an_address_must_be_clean_and_unique(web_app, world, as_user):
    admin = as_user("admin")
    page = admin.get("/journeys/impact").data.decode()
    bad = admin.post(f"/journeys/impact/{world.site_a}", follow_redirects=True,
                     data={"csrf_token": csrf_token(page), "slug": "Not OK!", "enabled": "1"}).data.decode()
    assert "An address is 2 to 40" in bad
    turn_on(admin, world)
    taken = admin.post(f"/journeys/impact/{world.site_b}", follow_redirects=True,
                       data={"csrf_token": csrf_token(page), "slug": "andheri-mall", "enabled": "1"}).data.decode()
    assert "That address is taken." in taken


def test_erasing_the_author_takes_the_testimonial_off_the_page(web_app, world, clock, as_user):
    seed(web_app, world, clock)
    turn_on(as_user("admin"), world)
    anonymous = web_app.test_client()
    assert "Very useful" in anonymous.get("/impact/andheri-mall").data.decode()
    with app_db(web_app) as db:
        erase_learner(db=db, learner=db.get(Learner, world.asha))
    assert "Very useful" not in anonymous.get("/impact/andheri-mall").data.decode()


STAFF_LINKS = ("/login", "/workspace", "/journeys", "/learners", "/simulator", "/feedback", "/reports", "/logout")


def hrefs(html: str) -> list[str]:
    return re.findall(r'(?:href|action|src)="([^"]*)"', html)


def test_the_public_page_has_its_own_layout_without_any_staff_link(web_app, world, clock, as_user):
    seed(web_app, world, clock)
    turn_on(as_user("admin"), world)
    for client in (web_app.test_client(), as_user("admin")):  # signed in or not, no staff chrome
        html = client.get("/impact/andheri-mall?lang=en").data.decode()
        assert '<h1 class="programme">Andheri Mall</h1>' in html
        assert "Sign in" not in html and "Sign out" not in html and 'class="main-nav"' not in html
        links = hrefs(html)
        assert "/impact/andheri-mall?lang=hi" in links  # the language switcher stays
        assert [link for link in links if link.startswith(STAFF_LINKS) or link == "/"] == [], links
        assert "csrf_token" not in html


def test_the_embed_card_may_be_framed_by_any_site_and_nothing_else_may(web_app, world, clock, as_user):
    seed(web_app, world, clock)
    admin = as_user("admin")
    turn_on(admin, world)
    anonymous = web_app.test_client()
    card = anonymous.get("/impact/andheri-mall/embed?lang=en")
    assert card.status_code == 200
    assert "X-Frame-Options" not in card.headers
    policy = card.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in policy and "'none'" not in policy.split("frame-ancestors")[1]
    assert "script-src" not in policy and "default-src 'none'" in policy  # a card runs no script
    html = card.data.decode()
    assert '<span class="value">6</span><span class="label">Enrolled' in html
    assert 'class="main-nav"' not in html and "<header" not in html and "<form" not in html
    assert 'href="http://localhost/impact/andheri-mall?lang=en" target="_blank"' in html
    assert [link for link in hrefs(html) if STAFF_LINKS[0] in link or "/journeys" in link] == []
    for path in ("/impact/andheri-mall", "/impact/andheri-mall.json", "/login", "/journeys/impact"):
        client = admin if path.startswith("/journeys") else anonymous
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path
    missing = anonymous.get("/impact/no-such-programme/embed")  # not on: a 404 like any other
    assert missing.status_code == 404 and missing.headers["X-Frame-Options"] == "DENY"
    admin.post(f"/journeys/impact/{world.site_a}", data={"csrf_token": csrf_token(admin.get("/journeys/impact")
                                                                                 .data.decode()),
                                                         "slug": "andheri-mall"})
    assert anonymous.get("/impact/andheri-mall/embed").status_code == 404  # turned off


def test_the_admin_page_shows_the_iframe_code_to_copy(web_app, world, clock, as_user):
    admin = as_user("admin")
    html = turn_on(admin, world).data.decode()
    code = unescape(re.search(r'<textarea id="embed-\d+" class="embed-code"[^>]*>(.*?)</textarea>', html, re.DOTALL)[1])
    assert code.startswith('<iframe src="http://localhost/impact/andheri-mall/embed"')
    assert 'title="Impact of Andheri Mall"' in code and code.endswith("></iframe>")
    off = turn_on(admin, world, enabled=False).data.decode()
    assert f'id="embed-{world.site_a}"' not in off  # nothing to embed while the page is off


def test_a_page_that_is_off_is_a_404_without_staff_chrome(web_app, world):
    anonymous = web_app.test_client()
    for path in ("/impact/no-such-programme", "/impact/no-such-programme/embed"):
        response = anonymous.get(path)
        html = response.data.decode()
        assert response.status_code == 404 and "This page does not exist." in html
        assert "your sites" not in html and 'class="main-nav"' not in html
        assert [link for link in hrefs(html) if link.startswith(STAFF_LINKS) or link == "/"] == [], path
    staff = anonymous.get("/no-such-page").data.decode()  # elsewhere the staff error page is unchanged
    assert "This page does not exist, or is not part of your sites." in staff
