"""The public impact pages: no login, aggregate numbers only (``app.journeys.impact``).

The one area of the site a stranger may read. A page that is not turned on is a 404,
exactly like one that does not exist, so the address of a programme that has not opted
in says nothing. The language is the visitor's pick (``?lang=``, or the one they
chose before) among the page's own, else their browser's if the page has it, else the
page's first.

The pages have their own layout (``public_base.html``): nothing of the staff UI, no
sign-in link. The embed card is the one answer of Saathi another website may frame.
"""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, make_response, render_template, request, session
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.db import get_db
from app.journeys import impact
from app.security import allow_framing

bp = Blueprint("impact", __name__)


def _page_and_language(slug: str):
    db = get_db()
    page = impact.page_by_slug(db, slug)
    if page is None:
        abort(404)
    langs = impact.page_languages(page)
    return page, langs, _language(langs)


def _language(langs: list[str]) -> str:
    """``?lang=``, else the language the visitor chose (signed in, or the picker), else their
    browser's, among the page's; else the page's first."""
    wanted = request.args.get("lang")
    if wanted in langs:
        return wanted
    if current_user and current_user.is_authenticated and current_user.language in langs:
        return current_user.language
    if session.get("language") in langs:
        return session["language"]
    return request.accept_languages.best_match(langs) or langs[0]


def _title(definition) -> str:
    return definition.title if definition.own else _(definition.title)


@bp.get("/impact/<slug>")
def page(slug: str):
    """The printable page, in one of the programme's languages, with a switcher to the others."""
    page, langs, lang = _page_and_language(slug)
    db = get_db()
    with force_locale(lang):
        f = impact.figures(db, db.get(impact.Site, page.site_id))
        return render_template("impact/page.html", page=page, langs=langs, lang=lang, f=f, small=impact.SMALL,
                               title=_title, programme=f.site.name)


@bp.get("/impact/<slug>/embed")
def embed(slug: str):
    """The headline numbers as a small card for an iframe on the programme's own website:
    any origin may frame it (this answer only; every other page still refuses)."""
    page, _langs, lang = _page_and_language(slug)
    db = get_db()
    with force_locale(lang):
        html = render_template("impact/embed.html", page=page, lang=lang, small=impact.SMALL,
                               f=impact.figures(db, db.get(impact.Site, page.site_id)))
    return allow_framing(make_response(html))


@bp.get("/impact/<slug>.json")
def page_json(slug: str):
    """The same numbers as JSON for a programme's own website; a suppressed count is null."""
    page, _langs, lang = _page_and_language(slug)
    db = get_db()
    with force_locale(lang):
        data = impact.as_json(impact.figures(db, db.get(impact.Site, page.site_id)), lang=lang, title=_title)
    response = jsonify(data)
    response.headers["Access-Control-Allow-Origin"] = "*"  # public numbers, read by any website
    return response
