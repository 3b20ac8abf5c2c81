"""Admins turn a programme's public impact page on or off, and choose its address and languages."""
from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import escape
from sqlmodel import select

from app import languages
from app.clock import get_clock
from app.db import get_db
from app.journeys import impact
from app.models import ImpactPage, Site
from app.web.journeys import bp


def _admin() -> None:
    if current_user.role != "admin":
        abort(403)


@bp.get("/journeys/impact")
def impact_settings():
    """Every site's page: on or off, its address, its languages."""
    _admin()
    db = get_db()
    sites = db.exec(select(Site).order_by(Site.name)).all()
    pages = {p.site_id: p for p in db.exec(select(ImpactPage)).all()}
    rows = [(s, pages.get(s.id), re.sub(r"[^a-z0-9]+", "-", s.name.lower()).strip("-")[:40] or f"site-{s.id}")
            for s in sites]
    return render_template("journeys/impact_settings.html", rows=rows, all_languages=list(languages.current()),
                           page_languages=impact.page_languages, embed_code=embed_code)


def embed_code(page: ImpactPage, site: Site) -> str:
    """The iframe a programme pastes into its website (escaped by the template)."""
    src = url_for("impact.embed", slug=page.slug, _external=True)
    title = _("Impact of %(programme)s", programme=site.name)
    return (f'<iframe src="{src}" title="{escape(title)}" width="360" height="200" loading="lazy" '
            'referrerpolicy="no-referrer"></iframe>')


@bp.post("/journeys/impact/<int:site_id>")
def impact_save(site_id: int):
    _admin()
    db = get_db()
    site = db.get(Site, site_id) or abort(404)
    try:
        impact.configure(db, site=site, enabled=request.form.get("enabled") == "1", slug=request.form.get("slug", ""),
                         langs=request.form.getlist("languages"), user_id=current_user.id, now=get_clock().now())
    except ValueError as exc:
        db.rollback()
        flash(_("That address is taken.") if str(exc) == "taken"
              else _("An address is 2 to 40 small letters, digits or dashes."), "error")
    else:
        db.commit()
        flash(_("Impact page saved."), "success")
    return redirect(url_for("journeys.impact_settings"))
