"""The public impact pages: no login, aggregate numbers only (``app.journeys.impact``).

The one area of the site a stranger may read. A page that is not turned on is a 404,
exactly like one that does not exist, so the address of a programme that has not opted
in says nothing. The language is the visitor's pick (``?lang=``) among the page's own,
else the visitor's browser language if the page has it, else the page's first.
"""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _

from app.db import get_db
from app.journeys import impact
from app.web.i18n import select_language

bp = Blueprint("impact", __name__)


def _page_and_language(slug: str):
    db = get_db()
    page = impact.page_by_slug(db, slug)
    if page is None:
        abort(404)
    langs = impact.page_languages(page)
    wanted = request.args.get("lang")
    if wanted not in langs:
        wanted = select_language()
    return page, langs, wanted if wanted in langs else langs[0]


def _title(definition) -> str:
    return definition.title if definition.own else _(definition.title)


@bp.get("/impact/<slug>")
def page(slug: str):
    """The printable page, in one of the programme's languages, with a switcher to the others."""
    page, langs, lang = _page_and_language(slug)
    db = get_db()
    with force_locale(lang):
        return render_template("impact/page.html", page=page, langs=langs, lang=lang,
                               f=impact.figures(db, db.get(impact.Site, page.site_id)), small=impact.SMALL,
                               title=_title)


@bp.get("/impact/<slug>.json")
def page_json(slug: str):
    """The same numbers as JSON for a programme's own website; a suppressed count is null."""
    page, langs, lang = _page_and_language(slug)
    db = get_db()
    with force_locale(lang):
        data = impact.as_json(impact.figures(db, db.get(impact.Site, page.site_id)), lang=lang, title=_title)
    response = jsonify(data)
    response.headers["Access-Control-Allow-Origin"] = "*"  # public numbers, read by any website
    return response
