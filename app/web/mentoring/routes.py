"""The coordinator's pages: dashboard, a mentee with suggested mentors, a pair and its log."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import select

from app.clock import get_clock
from app.db import get_db
from app.mentoring import dashboard, pairs
from app.mentoring import inbound as mentoring_inbound
from app.mentoring.people import MentoringError
from app.models import Learner, MatchDecision, Mentee, Mentor, MentoringNotice, Pair, Site, User
from app.web.auth.guards import get_or_404, scope
from app.web.mentoring import bp
from app.web.mentoring.forms import (
    CloseForm,
    ConfirmForm,
    DeclineForm,
    IntroduceForm,
    MeetingForm,
    OutcomeForm,
    TargetForm,
)
from app.web.mentoring.names import reason_text, refusal, status_name

COORDINATORS = ("supervisor", "admin")


@bp.app_template_filter("pair_status")
def pair_status_filter(code):
    return status_name(code)


@bp.app_template_filter("match_reason")
def match_reason_filter(reason):
    return reason_text(reason)


def _coordinator() -> None:
    if current_user.role not in COORDINATORS:
        abort(403)


def _today(site: Site):
    from zoneinfo import ZoneInfo

    return get_clock().now().astimezone(ZoneInfo(site.timezone or "UTC")).date()


@bp.get("/")
def index():
    """The coordinator's dashboard over the user's sites."""
    db = get_db()
    sites = db.exec(select(Site).where(Site.id.in_(scope())) if scope() is not None else select(Site)).all()
    data = dashboard.overview(db=db, site_ids=scope(), today=get_clock().now().date())
    return render_template("mentoring/index.html", data=data, sites=sorted(sites, key=lambda s: s.name),
                           may_coordinate=current_user.role in COORDINATORS, year=get_clock().now().year)


@bp.get("/mentees/<int:mentee_id>")
def mentee(mentee_id: int):
    """A mentee, their pairs so far, and the mentors Saathi suggests with the reasons."""
    db = get_db()
    row = get_or_404(Mentee, mentee_id)
    history = db.exec(select(Pair, Mentor).join(Mentor, Mentor.id == Pair.mentor_id)
                      .where(Pair.mentee_id == row.id).order_by(Pair.proposed_at.desc(), Pair.id.desc())).all()
    declined = db.exec(select(MatchDecision, Mentor).join(Mentor, Mentor.id == MatchDecision.mentor_id)
                       .where(MatchDecision.mentee_id == row.id).order_by(MatchDecision.decided_at)).all()
    current = pairs.open_pair_of(db, row)
    found = [] if current is not None else pairs.suggestions(db, row)
    return render_template("mentoring/mentee.html", mentee=row, site=db.get(Site, row.site_id), history=history,
                           declined=declined, current=current, suggestions=found, decline_form=DeclineForm(),
                           learner=db.get(Learner, row.learner_id) if row.learner_id else None,
                           may_coordinate=current_user.role in COORDINATORS)


@bp.post("/mentees/<int:mentee_id>/propose/<int:mentor_id>")
def propose(mentee_id: int, mentor_id: int):
    """Propose a suggested mentor (coordinators; 404 for a mentee or mentor outside the user's sites)."""
    _coordinator()
    db = get_db()
    row, mentor = get_or_404(Mentee, mentee_id), get_or_404(Mentor, mentor_id)
    try:
        pair = pairs.propose(db, mentee=row, mentor=mentor, by=current_user.id, now=get_clock().now())
    except MentoringError as exc:
        db.rollback()
        flash(refusal(exc), "error")
        return redirect(url_for("mentoring.mentee", mentee_id=row.id))
    db.commit()
    flash(_("Pair proposed. Introduce them, then confirm or decline."), "success")
    return redirect(url_for("mentoring.pair", pair_id=pair.id))


@bp.post("/mentees/<int:mentee_id>/decline/<int:mentor_id>")
def decline_suggestion(mentee_id: int, mentor_id: int):
    """Decline a suggestion: this mentor is not suggested for this mentee again."""
    _coordinator()
    db = get_db()
    row, mentor = get_or_404(Mentee, mentee_id), get_or_404(Mentor, mentor_id)
    form = DeclineForm()
    if form.validate_on_submit():
        pairs.decline(db, mentee=row, mentor_id=mentor.id, reason=form.reason.data or "", by=current_user.id,
                      now=get_clock().now())
        db.commit()
        flash(_("Declined; this mentor will not be suggested again."), "success")
    return redirect(url_for("mentoring.mentee", mentee_id=row.id))


@bp.get("/mentors/<int:mentor_id>")
def mentor(mentor_id: int):
    """A mentor and their pairs."""
    db = get_db()
    row = get_or_404(Mentor, mentor_id)
    history = db.exec(select(Pair, Mentee).join(Mentee, Mentee.id == Pair.mentee_id)
                      .where(Pair.mentor_id == row.id).order_by(Pair.proposed_at.desc(), Pair.id.desc())).all()
    taken = pairs.open_pairs(db).get(row.id, 0)
    return render_template("mentoring/mentor.html", mentor=row, site=db.get(Site, row.site_id), history=history,
                           free=max(0, row.capacity - taken), may_coordinate=current_user.role in COORDINATORS)


def _pair_forms(pair: Pair, site: Site) -> dict:
    today = _today(site)
    intro, confirm = IntroduceForm(prefix="intro"), ConfirmForm(prefix="confirm")
    meeting, outcome = MeetingForm(prefix="meeting"), OutcomeForm(prefix="outcome")
    if intro.introduced_on.data is None:
        intro.introduced_on.data = today
    if confirm.starts_on.data is None:
        confirm.starts_on.data = today
        confirm.goals.data = pair.goals
    if meeting.held_on.data is None:
        meeting.held_on.data = today
    return {"intro": intro, "confirm": confirm, "meeting": meeting, "outcome": outcome,
            "decline": DeclineForm(prefix="decline"), "close": CloseForm(prefix="close")}


@bp.get("/pairs/<int:pair_id>")
def pair(pair_id: int, forms: dict | None = None):
    """A pair: its status and dates, shared goals, the meeting log, and the next step's form."""
    db = get_db()
    row = get_or_404(Pair, pair_id)
    site = db.get(Site, row.site_id)
    meetings = pairs.meetings_of(db, row.id)
    loggers = {m.logged_by for m in meetings if m.logged_by}
    users = {u.id: (u.name or u.email) for u in db.exec(select(User).where(User.id.in_(loggers or {-1}))).all()}
    undelivered = db.exec(select(MentoringNotice).where(MentoringNotice.pair_id == row.id,
                                                        MentoringNotice.status == "failed")
                          .order_by(MentoringNotice.id)).all()
    mentor, mentee = db.get(Mentor, row.mentor_id), db.get(Mentee, row.mentee_id)
    return render_template("mentoring/pair.html", pair=row, site=site, mentor=mentor, mentee=mentee,
                           meetings=meetings, users=users, replies=mentoring_inbound.replies_to(db, row, mentor, mentee),
                           undelivered=undelivered,
                           forms=forms or _pair_forms(row, site), may_coordinate=current_user.role in COORDINATORS)


def _step(pair_id: int, name: str, act, done: str, coordinators_only: bool = True):
    """Validate form ``name`` of the pair page and apply ``act(db, pair, form, site)``."""
    if coordinators_only:
        _coordinator()
    db = get_db()
    row = get_or_404(Pair, pair_id)
    site = db.get(Site, row.site_id)
    forms = _pair_forms(row, site)
    form = forms[name]
    if not form.validate_on_submit():
        return pair(pair_id, forms=forms), 400
    try:
        act(db, row, form, site)
    except MentoringError as exc:
        db.rollback()
        flash(refusal(exc), "error")
        return redirect(url_for("mentoring.pair", pair_id=pair_id))
    db.commit()
    flash(done, "success")
    return redirect(url_for("mentoring.pair", pair_id=pair_id))


@bp.post("/pairs/<int:pair_id>/introduce")
def introduce(pair_id: int):
    return _step(pair_id, "intro", lambda db, p, f, s: pairs.introduce(db, pair=p, on=f.introduced_on.data,
                                                                       today=_today(s)),
                 _("Introduction recorded."))


@bp.post("/pairs/<int:pair_id>/confirm")
def confirm(pair_id: int):
    return _step(pair_id, "confirm", lambda db, p, f, s: pairs.confirm(db, pair=p, starts_on=f.starts_on.data,
                                                                       months=f.months.data, goals=f.goals.data or ""),
                 _("Pair confirmed."))


@bp.post("/pairs/<int:pair_id>/decline")
def decline(pair_id: int):
    def act(db, p, f, s):
        pairs.decline(db, mentee=db.get(Mentee, p.mentee_id), mentor_id=p.mentor_id, pair=p, reason=f.reason.data or "",
                      by=current_user.id, now=get_clock().now())
    return _step(pair_id, "decline", act, _("Declined; this mentor will not be suggested again."))


@bp.post("/pairs/<int:pair_id>/meetings")
def log_meeting(pair_id: int):
    """Log a meeting (any staff member who sees the pair)."""
    def act(db, p, f, s):
        pairs.log_meeting(db, pair=p, held_on=f.held_on.data, discussed=f.discussed.data, next_step=f.next_step.data or "",
                          by=current_user.id, today=_today(s), now=get_clock().now())
    return _step(pair_id, "meeting", act, _("Meeting logged."), coordinators_only=False)


@bp.post("/pairs/<int:pair_id>/close")
def close(pair_id: int):
    return _step(pair_id, "close", lambda db, p, f, s: pairs.close(db, pair=p, now=get_clock().now()),
                 _("Pair closed. Record the outcome."))


@bp.post("/pairs/<int:pair_id>/outcome")
def outcome(pair_id: int):
    return _step(pair_id, "outcome", lambda db, p, f, s: pairs.record_outcome(
        db, pair=p, job=f.job.data == "yes", in_field=f.in_field.data == "yes", note=f.note.data or ""),
        _("Outcome recorded."))


@bp.route("/sites/<int:site_id>/settings", methods=["GET", "POST"])
def settings(site_id: int):
    """A programme's target (pairs a year) and its public enrolment link (coordinators)."""
    import secrets

    _coordinator()
    db = get_db()
    site = get_or_404(Site, site_id, site_of=lambda s: s.id)
    row = dashboard.programme(db, site.id)
    form = TargetForm()
    if not form.is_submitted():
        form.pairs_per_year.data, form.open_enrolment.data = row.pairs_per_year, row.enrol_token is not None
    elif form.validate():
        row.pairs_per_year = form.pairs_per_year.data
        if form.open_enrolment.data and row.enrol_token is None:
            row.enrol_token = secrets.token_urlsafe(12)
        elif not form.open_enrolment.data:
            row.enrol_token = None
        row.updated_at = get_clock().now()
        db.add(row)
        db.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("mentoring.settings", site_id=site.id))
    db.commit()
    return render_template("mentoring/settings.html", site=site, programme=row, form=form)


@bp.post("/<any(mentors, mentees):kind>/<int:person_id>/active")
def toggle_active(kind: str, person_id: int):
    """Deactivate a mentor (no more suggestions) or a mentee (off the waiting list), or
    reactivate them (coordinators). Their pairs and history stay."""
    _coordinator()
    db = get_db()
    row = get_or_404(Mentor if kind == "mentors" else Mentee, person_id)
    row.active = not row.active
    db.add(row)
    db.commit()
    flash(_("Reactivated") if row.active else _("Deactivated"), "success")
    if kind == "mentors":
        return redirect(url_for("mentoring.mentor", mentor_id=row.id))
    return redirect(url_for("mentoring.mentee", mentee_id=row.id))
