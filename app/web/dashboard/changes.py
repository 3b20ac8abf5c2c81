"""The audit log as supervisors read it: a site's "Changes" list, and a learner's own lines.

Every staff role may read the lines of its own sites; each line is worded here, in the
reader's language, from the codes and values ``app.people.audit`` stored.
"""
from __future__ import annotations

from datetime import datetime
from math import ceil

from flask import render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.db import get_db
from app.i18n import LANGUAGES
from app.models import Site
from app.people import audit
from app.web.auth.guards import get_or_404
from app.web.dashboard import bp
from app.web.dashboard.params import arg_int
from app.web.formatting import moment as local_time

PAGE_SIZE = 50
ACTION_NAMES = {
    "learner_added": _l("Learner added"), "learner_edited": _l("Details changed"),
    "learner_moved": _l("Moved to another cohort"), "learner_deactivated": _l("Deactivated"),
    "learner_reactivated": _l("Reactivated"), "late_join": _l("Quiz of sessions already held queued"),
    "site_settings": _l("Site settings changed"),
}
FIELD_NAMES = {
    "name": _l("Name"), "language": _l("Language"), "channel": _l("Channel"), "timezone": _l("Timezone"),
    "status": _l("Status"), "send_start": _l("Messages from"), "send_end": _l("Messages until"),
    "daily_cap": _l("Daily cap"), "dlt_entity_id": _l("DLT entity ID"), "dlt_header": _l("DLT sender header"),
}
HOW_NAMES = {"import": _l("CSV import"), "simulator": _l("simulator")}


def channel_names() -> dict[str, str]:
    return {"sms": _("SMS"), "voice": _("Voice calls"), "both": _("SMS, and a call if an SMS fails"),
            "whatsapp": _("WhatsApp, and SMS if it cannot reach them")}


def _value(key: str, value) -> str:
    if value is None or value == "":
        return _("the site's") if key == "timezone" else _("default") if key == "daily_cap" else "–"
    if key == "language":
        return LANGUAGES.get(value, value)
    if key == "channel":
        return channel_names().get(value, value)
    if key == "status":
        return {"active": _("active"), "opted_out": _("opted out"), "invalid": _("invalid number"),
                "inactive": _("deactivated")}.get(value, value)
    return str(value)


def _rescheduled(counts: dict) -> list[str]:
    parts = []
    if counts.get("learners"):
        parts.append(ngettext("%(num)d learner's next contact moved", "%(num)d learners' next contact moved",
                              counts["learners"]))
    if counts.get("messages_retimed"):
        parts.append(ngettext("%(num)d queued message re-timed", "%(num)d queued messages re-timed",
                              counts["messages_retimed"]))
    if counts.get("messages_cancelled"):
        parts.append(ngettext("%(num)d queued message cancelled", "%(num)d queued messages cancelled",
                              counts["messages_cancelled"]))
    if counts.get("calls_cancelled"):
        parts.append(ngettext("%(num)d planned call cancelled", "%(num)d planned calls cancelled",
                              counts["calls_cancelled"]))
    if counts.get("prompts_released"):
        parts.append(ngettext("%(num)d question put back", "%(num)d questions put back", counts["prompts_released"]))
    return parts


def describe(event, zone: str | None = None) -> list[str]:
    """The details of one audit line as short sentences in the reader's language."""
    detail = event.detail or {}
    out = []
    if event.action == "learner_moved":
        out.append(_("from %(old)s to %(new)s", old=detail.get("from_cohort") or "–", new=detail.get("to_cohort")))
        if detail.get("to_site"):
            out.append(_("site: %(old)s → %(new)s", old=detail.get("from_site"), new=detail["to_site"]))
    else:
        for key, pair in (detail.get("fields") or {}).items():
            if key in FIELD_NAMES:
                out.append(f"{FIELD_NAMES[key]}: {_value(key, pair[0])} → {_value(key, pair[1])}")
    if event.action == "learner_added" and detail.get("how"):
        out.append(_("by %(how)s", how=HOW_NAMES.get(detail["how"], detail["how"])))
    if detail.get("reason"):
        out.append(_("reason: %(reason)s", reason=detail["reason"]))
    for session in detail.get("sessions") or []:
        held = session.get("held_at")
        when = local_time(datetime.fromisoformat(held), zone, "short") if held else "–"
        out.append(_("%(module)s, held %(when)s", module=session.get("module"), when=when))
    out += _rescheduled(detail.get("rescheduled") or {})
    return out


@bp.app_template_global("audit_action")
def audit_action(action: str) -> str:
    return str(ACTION_NAMES.get(action, action))


@bp.app_template_global("audit_details")
def audit_details(event, zone: str | None = None) -> list[str]:
    return describe(event, zone)


@bp.get("/sites/<int:site_id>/changes")
def site_changes(site_id: int):
    """The site's audit log, newest first, in pages; times in the site's timezone. 404 outside scope."""
    site = get_or_404(Site, site_id, site_of=lambda s: s.id)
    page = max(arg_int("page") or 1, 1)
    rows, total = audit.lines(get_db(), site_ids={site.id}, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render_template("dashboard/changes.html", site=site, rows=rows, page=page,
                           pages=max(1, ceil(total / PAGE_SIZE)), total=total)
