"""Learner registration from the CSV sheets trainers already keep.

A bad row never spoils a good one: each row is checked on its own, reported by its row
number (as a spreadsheet shows it, header = row 1) with the reason, and the good rows
import. Re-importing the same sheet updates learners by phone number, never duplicates.
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, select

from app import languages
from app.channels.registry import channels
from app.i18n import N_, Explained
from app.models import Learner, Site, TrainingSession
from app.models.people import CHANNELS
from app.people.changes import edit_learner, learner_added, move_learner
from app.people.phones import PhoneError, normalize_phone, region_of, timezones_of
from app.people.sites import (
    DEFAULT_WINDOW,
    SiteError,
    add_site,
    country_timezone,
    get_or_create_cohort,
)

REQUIRED = ("phone", "name", "site", "language", "cohort")


@dataclass
class RowError:
    """A refused row: ``message`` in English; ``explained`` (if any) says it in any language."""

    row: int
    message: str
    explained: Explained | None = None

    def __str__(self) -> str:
        return f"row {self.row}: {self.message}"

    def said(self, lang: str) -> str:
        return self.explained.said(lang) if self.explained is not None else self.message


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    sites_created: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    caught_up: int = 0  # newcomers who got the quiz of sessions already held


def parse_language(value: str) -> str:
    """A language code from a code or a name ("hi", "Hindi", "हिंदी"), as the language files list them."""
    registry = languages.current()
    code = registry.language_words.get(languages.fold(value))
    if not code:
        raise Explained(N_("unknown language '{value}'; Saathi speaks {codes}"), value=value,
                        codes=registry.codes_list())
    return code


def import_learners(*, db: Session, csv_text: str, now: datetime, user_id: int | None = None,
                    late_join: timedelta | None = None,
                    default_window: tuple[str, str] = DEFAULT_WINDOW) -> ImportReport:
    """Create or update learners from CSV text; see the module docstring for the rules.

    Changes go through ``app.people.changes``: each is audited (as ``user_id``), what was
    planned is re-planned, and with ``late_join`` a learner new to a cohort gets the quiz
    of the sessions it held within that time. A site the rows create gets
    ``default_window`` (the deployment's SAATHI_SEND_WINDOW_START/_END).
    """
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff")))
    headers = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in headers]
    if missing:
        problem = Explained(N_("missing column(s): {columns}"), columns=", ".join(missing))
        report.errors.append(RowError(1, str(problem), problem))
        return report
    rows = []
    for number, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        if not any(row.values()):
            continue
        rows.append((number, row))
    sites = _resolve_sites(db=db, rows=rows, report=report, default_window=default_window)
    seen: dict[str, int] = {}
    # Cohorts with a session to catch up on, found once: most imports have none to look up per row.
    catching_up = set(db.exec(select(TrainingSession.cohort_id).where(
        TrainingSession.held_at >= now - late_join)).all()) if late_join else set()
    for number, row in rows:
        try:
            with db.begin_nested():  # a refused row leaves nothing behind
                _import_row(db=db, row=row, site=sites.get(row["site"]), now=now, report=report,
                            seen=seen, number=number, user_id=user_id, late_join=late_join,
                            catching_up=catching_up)
        except (ValueError, PhoneError, SiteError) as exc:
            report.errors.append(RowError(number, str(exc), exc if isinstance(exc, Explained) else None))
    return report


def _resolve_sites(*, db: Session, rows, report: ImportReport, default_window) -> dict[str, Site]:
    """Existing sites by name, plus new ones the rows make unambiguous (one country, one zone)."""
    names = {row["site"] for _, row in rows if row.get("site")}
    existing = {s.name: s for s in db.exec(select(Site).where(Site.name.in_(names))).all()} if names else {}
    evidence: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for _, row in rows:
        if row.get("site") in existing or not row.get("site") or not row.get("phone", "").startswith("+"):
            continue
        try:
            e164 = normalize_phone(row["phone"])
        except PhoneError:
            continue
        country = region_of(e164)
        zones = (row.get("timezone"),) if row.get("timezone") else timezones_of(e164)
        zone = zones[0] if len(zones) == 1 else country_timezone(country or "")
        evidence[row["site"]].add((country, zone))
    for name, facts in evidence.items():
        if len(facts) == 1:
            country, zone = next(iter(facts))
            if country and zone:
                existing[name] = add_site(db=db, name=name, country=country, timezone=zone,
                                          default_window=default_window)
                report.sites_created.append(name)
    return existing


def _import_row(*, db, row, site, now, report, seen, number, user_id, late_join, catching_up) -> None:
    for column in REQUIRED:
        if not row.get(column):
            raise Explained(N_("'{column}' is empty"), column=column)
    if site is None:
        raise Explained(N_("site '{site}' does not exist and its country cannot be told from the rows; "
                           "create it first with: saathi sites add '{site}' --country IN"), site=row["site"])
    phone = normalize_phone(row["phone"], site.country)
    if phone in seen:
        raise Explained(N_("phone {phone} already appears in row {row}"), phone=phone, row=seen[phone])
    language = parse_language(row["language"])
    channel = (row.get("channel") or "sms").lower()
    if channel not in CHANNELS:
        raise Explained(N_("channel '{channel}' must be one of {channels}"), channel=channel,
                        channels=", ".join(CHANNELS))
    channel = channels.reachable(db, language, channel)
    tz = row.get("timezone") or None
    if tz:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise Explained(N_("unknown timezone '{timezone}'"), timezone=tz) from None
    name = row["name"][:120]
    cohort = get_or_create_cohort(db=db, name=row["cohort"], site=site)
    seen[phone] = number
    late_join = late_join if cohort.id in catching_up else None
    learner = db.exec(select(Learner).where(Learner.phone == phone)).first()
    if learner is None:
        learner = Learner(phone=phone, name=name, site_id=site.id, cohort_id=cohort.id, language=language,
                          channel=channel, timezone=tz, created_at=now, updated_at=now)
        db.add(learner)
        db.flush()
        report.created += 1
        report.caught_up += bool(learner_added(db, learner=learner, now=now, user_id=user_id, how="import",
                                               late_join=late_join))
        return
    if (learner.name, learner.language, learner.channel, learner.timezone, learner.cohort_id) == \
            (name, language, channel, tz, cohort.id):
        report.unchanged += 1  # the common re-import: no lock, no re-planning to consider
        return
    moved = move_learner(db, learner=learner, cohort=cohort, now=now, user_id=user_id, late_join=late_join)
    edited = edit_learner(db, learner=learner, now=now, user_id=user_id, name=name, language=language,
                          channel=channel, timezone=tz)
    report.caught_up += bool(moved.sessions_queued)
    if moved or edited:
        report.updated += 1
    else:
        report.unchanged += 1
    db.flush()
