"""Learner import from a CSV sheet, kept inside the trainer's own sites.

``import_learners`` accepts any site named in the sheet (and creates unknown ones), which
is right for the CLI an admin runs. For a trainer each row is checked first: its site must
be one of theirs, and its phone must not belong to another site's learner (importing it
would move that learner, and their history, into the trainer's view). Refused rows are
blanked, not removed, so the domain's row numbers stay those of the trainer's sheet.
"""
from __future__ import annotations

import csv
import io

from flask import current_app, flash, render_template
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import select

from app.clock import get_clock
from app.db import get_db
from app.learning.policy import current_policy
from app.models import Learner, Site
from app.people.changes import late_join_window
from app.people.learners import REQUIRED, ImportReport, RowError, import_learners
from app.people.phones import PhoneError, normalize_phone
from app.web.auth.guards import scope
from app.web.workspace import bp
from app.web.workspace.forms import ImportForm

MAX_ROWS = 5000


def restrict_to_sites(*, db, csv_text: str, site_ids: set[int] | None) -> tuple[str, list[RowError]]:
    """``csv_text`` with rows outside ``site_ids`` blanked, and an error for each of them."""
    if site_ids is None:
        return csv_text, []
    records = list(csv.reader(io.StringIO(csv_text.lstrip("\ufeff"))))
    if not records:
        return csv_text, []
    header = [h.strip().lower() for h in records[0]]
    if "site" not in header or "phone" not in header:
        return csv_text, []  # the domain reports the missing columns
    site_col, phone_col = header.index("site"), header.index("phone")
    sites = {s.name: s for s in db.exec(select(Site).where(Site.id.in_(site_ids or {-1}))).all()}
    errors, out, number = [], [records[0]], 1
    for record in records[1:]:
        if not record:  # csv.DictReader skips blank lines without counting them
            continue
        number += 1
        cells = record + [""] * (len(header) - len(record))
        site_name, phone = cells[site_col].strip(), cells[phone_col].strip()
        problem = None
        if any(c.strip() for c in cells):
            site = sites.get(site_name)
            if site is None:
                problem = _("site '%(site)s' is not one of your sites", site=site_name)
            else:
                try:
                    e164 = normalize_phone(phone, site.country)
                except PhoneError:
                    e164 = None  # the domain explains a bad number
                if e164:
                    other = db.exec(select(Learner.site_id).where(Learner.phone == e164)).first()
                    if other is not None and other not in site_ids:
                        problem = _("phone %(phone)s belongs to a learner of another site", phone=phone)
        if problem:
            errors.append(RowError(number, problem))
            out.append([""] * len(header))
        else:
            out.append(record)
    buffer = io.StringIO()
    csv.writer(buffer).writerows(out)
    return buffer.getvalue(), errors


def _read_upload(form: ImportForm) -> str | None:
    upload = form.file.data
    if upload and getattr(upload, "filename", ""):
        raw = upload.read()
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            flash(_("The file is not UTF-8 text. Save the sheet as “CSV UTF-8” and try again."), "error")
            return None
    return form.text.data or None


@bp.route("/learners/import", methods=["GET", "POST"], endpoint="import_learners")
def import_page():
    """Upload or paste a CSV of learners; show what was created and every refused row with its reason."""
    form = ImportForm()
    report: ImportReport | None = None
    if form.validate_on_submit():
        text = _read_upload(form)
        if text is None:
            if not form.file.data:
                flash(_("Choose a CSV file or paste the rows."), "error")
        elif text.count("\n") > MAX_ROWS:
            flash(_("At most %(rows)d rows at a time, please.", rows=MAX_ROWS), "error")
        else:
            db = get_db()
            allowed_text, refused = restrict_to_sites(db=db, csv_text=text, site_ids=scope())
            report = import_learners(db=db, csv_text=allowed_text, now=get_clock().now(), user_id=current_user.id,
                                     late_join=late_join_window(current_app.config, wanted=form.late_join.data),
                                     default_window=current_policy(current_app).window)
            report.errors = sorted(refused + report.errors, key=lambda e: e.row)
            db.commit()
    return render_template("workspace/import.html", form=form, report=report, columns=REQUIRED,
                           late_join_days=int(current_app.config["LATE_JOIN_DAYS"]))
