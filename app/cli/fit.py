"""``saathi fit``: fit FSRS to each pack's own answers, now, and say what changed.

The worker does the same on its own (``SAATHI_REFIT``, at most weekly, once a pack has
``SAATHI_FIT_MIN_REVIEWS`` answers); this is for a trainer who wants to see the fit, or a
programme that turned the worker's refit off. ``--dry-run`` fits and reports, keeps nothing.
"""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlmodel import select

from app.clock import get_clock
from app.db import session_scope
from app.learning import fitting
from app.models import Pack

# FSRS's weights 0-3: a new card's stability (days until recall falls to 90 %) after a first
# answer of Again, Hard, Good, Easy. A quiz answer is Again (wrong) or Good (right).
FIRST_WRONG, FIRST_RIGHT = 0, 2


@click.command("fit")
@click.option("--pack", "slugs", multiple=True, help="Only this pack (repeatable). Default: every pack.")
@click.option("--min-reviews", type=int, help="Answers a pack needs (default SAATHI_FIT_MIN_REVIEWS).")
@click.option("--dry-run", is_flag=True, help="Fit and report; keep the weights in use.")
@with_appcontext
def fit_cmd(slugs, min_reviews, dry_run):
    """Fit FSRS's memory weights to each pack's answers; the engine schedules with them."""
    min_reviews = current_app.config["FIT_MIN_REVIEWS"] if min_reviews is None else min_reviews
    now = get_clock().now()
    with session_scope() as db:
        query = select(Pack).order_by(Pack.slug)
        if slugs:
            query = query.where(Pack.slug.in_(slugs))
        packs = db.exec(query).all()
        missing = set(slugs) - {p.slug for p in packs}
        if missing:
            raise click.BadParameter(f"no pack {', '.join(sorted(missing))}", param_hint="'--pack'")
        kept = 0
        for pack in packs:
            outcome = fitting.fit_pack(db, pack, now=now, min_reviews=int(min_reviews), save=not dry_run)
            click.echo(describe(outcome))
            kept += outcome.skipped is None
        if dry_run:
            db.rollback()
    if not dry_run:
        click.echo(f"{kept} pack(s) now scheduled with their own fit.")


def describe(outcome: fitting.Outcome) -> str:
    head = f"{outcome.pack}: {outcome.answers} answers"
    fit = outcome.fit
    if fit is None:
        return f"{head}; not fitted ({outcome.skipped})"
    p, d = fit.parameters, fitting.optimizer.DEFAULT_PARAMETERS
    lines = [(f"{head}; log loss {fit.log_loss_before:.4f} with the default weights, "
              f"{fit.log_loss_after:.4f} fitted (RMSE {fit.rmse_before:.4f} -> {fit.rmse_after:.4f})"),
             (f"  after a right first answer an item stays above 90 % recall for {_span(p[FIRST_RIGHT])} "
              f"(default weights: {_span(d[FIRST_RIGHT])}); after a wrong one {_span(p[FIRST_WRONG])} "
              f"({_span(d[FIRST_WRONG])})")]
    if outcome.skipped:
        lines.append(f"  kept the weights in use: {outcome.skipped}")
    return "\n".join(lines)


def _span(days: float) -> str:
    return f"{days:.1f} days" if days >= 1 else f"{days * 24:.0f} h"
