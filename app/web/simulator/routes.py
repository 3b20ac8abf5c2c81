"""Simulator pages: pick or create a learner, type as them, run a dispatch pass."""
from __future__ import annotations

import csv
import io

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func
from sqlmodel import select

from app.clock import get_clock
from app.db import get_db
from app.i18n import LANGUAGES
from app.models import Cohort, Learner, Prompt, Site
from app.people.learners import import_learners
from app.reports.queries import in_sites
from app.scheduling.dispatcher import dispatch_once
from app.voice.flow import Env
from app.web.auth.guards import get_or_404, scope
from app.web.dashboard.params import arg_int, visible_cohorts, visible_sites
from app.web.simulator import bp
from app.web.simulator.channels import CHANNELS
from app.web.simulator.thread import conversation as thread_of
from app.web.simulator.thread import free_test_number

MAX_TEXT = 1600


@bp.get("/")
def index():
    """Learners of the user's sites to talk as (search by name), and a form for a test learner."""
    q = (request.args.get("q") or "").strip()[:100]
    query = in_sites(select(Learner, Site).join(Site, Site.id == Learner.site_id), Learner.site_id, scope())
    if q:
        query = query.where(func.lower(Learner.name).contains(q.lower()))
    site_id = arg_int("site")
    if site_id is not None:
        query = query.where(Learner.site_id == site_id)
    rows = get_db().exec(query.order_by(Learner.created_at.desc(), Learner.id.desc()).limit(50)).all()
    return render_template("simulator/index.html", rows=rows, q=q, sites=visible_sites(),
                           cohorts=visible_cohorts())


@bp.post("/learners")
def create_learner():
    """Create a test learner with a fictional number in one of the user's sites (and cohorts)."""
    db = get_db()
    site = get_or_404(Site, arg_int_form("site") or 0, site_of=lambda s: s.id)
    cohort_id = arg_int_form("cohort")
    cohort = db.get(Cohort, cohort_id) if cohort_id else None
    if cohort is not None and cohort.site_id != site.id:
        flash(_("That cohort belongs to another site."), "error")
        return redirect(url_for("simulator.index"))
    language = request.form.get("language") if request.form.get("language") in LANGUAGES else "en"
    name = (request.form.get("name") or "").strip()[:80] or _("Test learner")
    cohort_name = cohort.name if cohort else f"{site.name} test"
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["phone", "name", "site", "language", "cohort"],
                                  [free_test_number(db=db, site=site), name, site.name, language, cohort_name]])
    report = import_learners(db=db, csv_text=buffer.getvalue(), now=get_clock().now(), user_id=current_user.id)
    if report.errors:
        db.rollback()
        flash("; ".join(str(e.message) for e in report.errors), "error")
        return redirect(url_for("simulator.index"))
    db.commit()
    learner = db.exec(select(Learner).where(Learner.site_id == site.id).order_by(Learner.id.desc())).first()
    flash(_("Test learner created."), "success")
    return redirect(url_for("simulator.conversation", learner_id=learner.id))


def arg_int_form(name: str) -> int | None:
    value = request.form.get(name, "")
    return int(value) if value.isdigit() else None


@bp.get("/<int:learner_id>")
def conversation(learner_id: int):
    """The learner's phone: every message in and out, a box to reply, and the dispatch button."""
    db = get_db()
    learner = get_or_404(Learner, learner_id)
    pending = db.exec(select(Prompt).where(Prompt.learner_id == learner.id, Prompt.status == "pending")).first()
    queued = db.exec(select(func.count(Prompt.id)).where(Prompt.learner_id == learner.id,
                                                         Prompt.status == "queued")).one()
    return render_template("simulator/conversation.html", learner=learner, site=db.get(Site, learner.site_id),
                           bubbles=thread_of(db=db, learner=learner), channels=CHANNELS.values(),
                           channel=picked_channel(learner, request.args.get("channel")),
                           pending=pending, queued=queued)


def picked_channel(learner: Learner, asked: str | None) -> str:
    """The channel the menu shows: the one the trainer used last (carried in ``?channel=``
    from one action to the next), else the learner's own (a call for a voice-only learner)."""
    if asked in CHANNELS:
        return asked
    return learner.channel if learner.channel in CHANNELS else "sms"


@bp.post("/<int:learner_id>/send")
def send(learner_id: int):
    """Deliver the typed text as if the learner had sent it on ``channel`` (SMS by default);
    back to the conversation with that channel still picked."""
    db = get_db()
    learner = get_or_404(Learner, learner_id)
    channel = CHANNELS.get(request.form.get("channel") or "sms")
    if channel is None:
        abort(400)
    text = (request.form.get("body") or "")[:MAX_TEXT]
    if text.strip():
        payload = (request.form.get("payload") or "")[:32]
        tapped = {"payload": payload} if payload else {}  # a WhatsApp button; other channels never see one
        channel.handle(db=db, learner=learner, text=text, now=get_clock().now(),
                       env=Env.from_app(current_app._get_current_object()), **tapped)
        db.commit()
    return redirect(url_for("simulator.conversation", learner_id=learner.id, channel=channel.name))


@bp.post("/dispatch")
def dispatch():
    """Run one dispatch pass (plan what is due, send it through the app's transport) now."""
    back = arg_int_form("learner")
    if back is not None:
        get_or_404(Learner, back)
    get_db().commit()  # end this request's transaction: the dispatcher opens its own sessions
    stats = dispatch_once(app=current_app._get_current_object(), now=get_clock().now())
    plan, sent = stats.plan, stats.delivery
    flash(_("Dispatch pass: %(planned)d prompts planned, %(sent)d messages sent, %(waiting)d learners "
            "outside their send window, %(capped)d over the daily cap.", planned=plan.planned, sent=sent.sent,
            waiting=plan.outside_window, capped=plan.over_cap), "info")
    if back is not None:
        channel = request.form.get("channel")
        return redirect(url_for("simulator.conversation", learner_id=back,
                                channel=channel if channel in CHANNELS else None))
    return redirect(url_for("simulator.index"))
