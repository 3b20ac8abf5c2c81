"""Words for mentoring's codes (statuses, reasons), in the reader's language."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.mentoring.people import MentoringError

STATUS_NAMES = {"proposed": _l("proposed"), "introduced": _l("introduced"), "active": _l("active"),
                "closed": _l("closed"), "declined": _l("declined")}


def status_name(code: str) -> str:
    return str(STATUS_NAMES.get(code, code))


def reason_text(reason) -> str:
    """One suggestion reason as the coordinator reads it ("same profession: engineer")."""
    if reason.code == "profession":
        return _("same profession: %(profession)s", profession=reason.value)
    if reason.code == "sector":
        return _("same sector: %(sector)s", sector=reason.value)
    if reason.code == "region":
        return _("same region: %(region)s", region=reason.value)
    return _("speaks %(language)s", language=reason.value.title())


def refusal(exc: MentoringError) -> str:
    """A domain refusal in the reader's language (the status it names, too)."""
    values = dict(exc.params)
    if "status" in values:
        values["status"] = status_name(values["status"])
    return _(exc.msgid).format(**values)
