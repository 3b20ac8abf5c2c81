"""Learners as staff see them: phone numbers masked except to admins, who alone may export
a learner's data or erase it on request."""
from __future__ import annotations

import json

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case, func
from sqlmodel import select

from app.db import get_db
from app.i18n import N_
from app.models import Answer, Card, Cohort, Item, Learner, Module, Prompt, Site
from app.models.people import LEARNER_STATUSES
from app.people import audit
from app.people.phones import masked_phone
from app.reports import feedback as fb
from app.reports.csvfile import LOCALISED, MACHINE, csv_text
from app.reports.queries import in_sites
from app.web.auth.guards import get_or_404, roles_required, scope
from app.web.dashboard import bp
from app.web.dashboard.changes import channel_names
from app.web.dashboard.params import arg_int, visible_cohort, visible_cohorts, visible_sites
from app.web.dashboard.privacy import erase_learner, export_learner

PAGE_SIZE = 100


@bp.app_template_filter("phone")
def phone_filter(phone: str | None) -> str:
    """The full number for admins; country code and last four digits for everyone else."""
    if current_user.is_authenticated and current_user.role == "admin":
        return phone or "–"
    return masked_phone(phone)


@bp.app_template_filter("channel")
def channel_filter(channel: str | None) -> str:
    """How a learner is reached, in the reader's language ("sms" is a code, not a word)."""
    return channel_names().get(channel or "", channel or "–")


def _filtered():
    """The learner query of the list's filters (``site``, ``cohort``, ``status``, ``q``), in scope."""
    site_id, cohort_id = arg_int("site"), arg_int("cohort")
    if site_id is not None and scope() is not None and site_id not in scope():
        abort(404)
    if cohort_id is not None and visible_cohort(cohort_id) is None:
        abort(404)
    query = in_sites(select(Learner, Site, Cohort).join(Site, Site.id == Learner.site_id)
                     .outerjoin(Cohort, Cohort.id == Learner.cohort_id), Learner.site_id, scope())
    if site_id is not None:
        query = query.where(Learner.site_id == site_id)
    if cohort_id is not None:
        query = query.where(Learner.cohort_id == cohort_id)
    status = request.args.get("status")
    if status in LEARNER_STATUSES:
        query = query.where(Learner.status == status)
    q = (request.args.get("q") or "").strip()[:100]
    if q:
        query = query.where(func.lower(Learner.name).contains(q.lower()))
    filters = {"site_id": site_id, "cohort_id": cohort_id, "status": status, "q": q}
    return query.order_by(Site.name, Learner.name), filters


@bp.get("/learners")
def learners():
    """Learners of the user's sites, filtered by ``site``, ``cohort``, ``status`` and name (``q``)."""
    query, chosen = _filtered()
    page = max(arg_int("page") or 1, 1)
    rows = get_db().exec(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("dashboard/learners.html", rows=rows[:PAGE_SIZE], more=len(rows) > PAGE_SIZE,
                           page=page, args=args, sites=visible_sites(), cohorts=visible_cohorts(chosen["site_id"]),
                           **chosen)


LEARNER_COLUMNS = ("name", "phone", "site", "cohort", "language", "channel", "status")
LEARNER_LABELS = {"name": N_("Name"), "phone": N_("Phone"), "site": N_("Site"), "cohort": N_("Cohort"),
                  "language": N_("Language"), "channel": N_("Channel"), "status": N_("Status")}


@bp.get("/learners.csv")
def learners_csv():
    """The filtered list as CSV, numbers masked as on the page (full for admins only); for a
    spreadsheet in the user's language, or ``?columns=machine`` for scripts."""
    rows = [(learner.name, phone_filter(learner.phone), site.name, cohort.name if cohort else "",
             learner.language, learner.channel, learner.status)
            for learner, site, cohort in get_db().exec(_filtered()[0]).all()]
    style = MACHINE if request.args.get("columns") == MACHINE else LOCALISED
    text = csv_text(LEARNER_COLUMNS, rows, labels=LEARNER_LABELS, style=style, language=str(get_locale() or "en"))
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="learners.csv"'})


@bp.get("/learners/<int:learner_id>")
def learner(learner_id: int):
    """One learner's progress: answers, cards, pending prompt and feedback. 404 outside scope."""
    db = get_db()
    person = get_or_404(Learner, learner_id)
    answers = db.exec(select(Answer, Item, Module).join(Item, Item.id == Answer.item_id)
                      .join(Module, Module.id == Item.module_id).where(Answer.learner_id == person.id)
                      .order_by(Answer.answered_at.desc(), Answer.id.desc()).limit(50)).all()
    cards = db.exec(select(Card, Item, Module).join(Item, Item.id == Card.item_id)
                    .join(Module, Module.id == Item.module_id).where(Card.learner_id == person.id)
                    .order_by(Card.due)).all()
    pending = db.exec(select(Prompt).where(Prompt.learner_id == person.id, Prompt.status == "pending")).first()
    totals = db.exec(select(func.count(Answer.id), func.coalesce(func.sum(case((Answer.correct, 1), else_=0)), 0))
                     .where(Answer.learner_id == person.id)).one()
    feedback, _total = fb.list_feedback(db=db, site_ids={person.site_id}, page_size=200,
                                        filters=fb.FeedbackFilter(learner_id=person.id))
    changes, _count = audit.lines(db, site_ids=scope(), learner_id=person.id, limit=100)
    return render_template("dashboard/learner.html", learner=person, site=db.get(Site, person.site_id),
                           changes=changes,
                           cohort=db.get(Cohort, person.cohort_id) if person.cohort_id else None,
                           answers=answers, cards=cards, pending=pending, answered=totals[0],
                           correct=int(totals[1] or 0), feedback=feedback)


@bp.get("/learners/<int:learner_id>/export.json")
@roles_required("admin")
def learner_export(learner_id: int):
    """Everything held about the learner, as a JSON download (admins only: it has the full number)."""
    person = get_or_404(Learner, learner_id)
    data = export_learner(db=get_db(), learner=person)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="learner-{person.id}.json"'})


@bp.post("/learners/<int:learner_id>/erase")
@roles_required("admin")
def learner_erase(learner_id: int):
    """Erase the learner and all their data, once the admin has typed ERASE to confirm."""
    db = get_db()
    person = get_or_404(Learner, learner_id)
    if request.form.get("confirm", "").strip().upper() != "ERASE":
        flash(_("Type ERASE to confirm."), "error")
        return redirect(url_for("dashboard.learner", learner_id=person.id))
    name = person.name
    erase_learner(db=db, learner=person)
    db.commit()
    flash(_("%(name)s and all their data were erased.", name=name), "success")
    return redirect(url_for("dashboard.learners"))
