"""A site's sending rules in the browser: timezone, send window, daily cap.

Admins, and trainers of that site (they know when their learners are off shift); the
workspace lets no supervisor in. Saving re-plans what was already planned under the old
rules (``app.people.sites.change_site_settings``), so a wider window works at once.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.clock import get_clock
from app.db import get_db
from app.models import Site
from app.people.sites import SiteError, change_site_settings
from app.web.auth.guards import get_or_404
from app.web.workspace import bp
from app.web.workspace.forms import SiteSettingsForm


@bp.route("/sites/<int:site_id>/settings", methods=["GET", "POST"])
def site_settings(site_id: int):
    """The site's settings form; on save, the change and what it re-planned. 404 outside the user's sites."""
    site = get_or_404(Site, site_id, site_of=lambda s: s.id)
    form = SiteSettingsForm(obj=site)
    if form.validate_on_submit():
        db = get_db()
        try:
            change = change_site_settings(db, site=site, now=get_clock().now(), user_id=current_user.id,
                                          timezone=form.timezone.data, send_start=form.send_start.data,
                                          send_end=form.send_end.data, daily_cap=form.daily_cap.data)
        except SiteError:  # the form checks the same rules; only a race gets here
            db.rollback()
            flash(_("The settings were not saved; check them and try again."), "error")
        else:
            db.commit()
            if not change:
                flash(_("Nothing changed."), "info")
            else:
                flash(_("Saved. Messages already planned for this site's learners follow the new settings."),
                      "success")
            return redirect(url_for("workspace.site_settings", site_id=site.id))
    return render_template("workspace/site_settings.html", site=site, form=form)
