"""What goes in and out of the JSON API, as pydantic models.

These models are the single source of truth twice over: requests are parsed with them
and responses serialised through them, and ``openapi.py`` builds the published document
from their JSON Schemas. A field added here is in the next response *and* in the spec,
so the two cannot drift apart.

Ids are bounded to PostgreSQL's ``integer`` so that a huge number is a clean "not found"
or 422, never a database error; times are converted to UTC on the way in, clamped to the
representable range so that any RFC 3339 value a client may legally send is usable.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from app.models.learning import PROMPT_KINDS
from app.models.people import CHANNELS, LEARNER_STATUSES

MAX_ID = 2**31 - 1
MAX_LIMIT = 200
DEFAULT_LIMIT = 50
# The smallest and largest instants every backend (and Python's datetime) can hold.
_EARLIEST = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
_LATEST = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)
# ``?since=2026-03-01T10:00+05:30`` typed into a URL unencoded arrives with a space for "+".
_UNENCODED_PLUS = re.compile(r"(T\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d:?\d\d)$")
_DATE_AND_TIME = re.compile(r"^\d{4}-\d\d-\d\d[Tt]\d\d:\d\d")


def _iso_text(value):
    """Only ISO 8601 text: pydantic would also read ``0.5`` or ``1700000000`` as a Unix time."""
    if isinstance(value, str):
        value = _UNENCODED_PLUS.sub(r"\1+\2", value)
    if not isinstance(value, str) or not _DATE_AND_TIME.match(value):
        raise ValueError("expected an ISO 8601 date and time such as 2026-03-01T10:00:00+05:30")
    return value


def _to_utc(value: datetime) -> datetime:
    """Aware UTC; a naive time is taken as UTC; out-of-range instants clamp to the ends."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return _EARLIEST if value.year < 5000 else _LATEST


DbId = Annotated[int, Field(ge=1, le=MAX_ID)]
Since = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(_to_utc)]
HeldAt = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_to_utc)]


class Strict(BaseModel):
    """Inputs refuse unknown fields: a misspelt filter must not silently return everything."""

    model_config = ConfigDict(extra="forbid")


# ---- query strings -----------------------------------------------------------------

class ListQuery(Strict):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Rows per page.")
    cursor: str | None = Field(
        None, pattern=r"^[0-9]{1,10}$",
        description="`next_cursor` of the previous page; omit for the first page.")


class SiteQuery(ListQuery):
    pass


class CohortQuery(ListQuery):
    site_id: DbId | None = Field(None, description="Only this site's cohorts.")


class LearnerQuery(ListQuery):
    site_id: DbId | None = Field(None, description="Only learners registered at this site.")
    cohort_id: DbId | None = Field(None, description="Only learners in this cohort.")
    status: Literal[LEARNER_STATUSES] | None = Field(None, description="Only learners in this state.")
    since: Since | None = Field(None, description="Only learners registered at or after this time.")


class SessionQuery(ListQuery):
    site_id: DbId | None = Field(None, description="Only sessions of this site's cohorts.")
    cohort_id: DbId | None = Field(None, description="Only this cohort's sessions.")
    since: Since | None = Field(None, description="Only sessions held at or after this time.")


class AnswerQuery(ListQuery):
    site_id: DbId | None = Field(None, description="Only answers of learners registered at this site.")
    cohort_id: DbId | None = Field(None, description="Only answers of learners now in this cohort.")
    learner_id: DbId | None = Field(None, description="Only this learner's answers.")
    session_id: DbId | None = Field(None, description="Only answers to this session's quiz.")
    since: Since | None = Field(None, description="Only answers given at or after this time.")


class FeedbackQuery(ListQuery):
    site_id: DbId | None = Field(None, description="Only feedback of learners registered at this site.")
    cohort_id: DbId | None = Field(
        None, description="Only feedback about this cohort's sessions (or from its learners).")
    learner_id: DbId | None = Field(None, description="Only this learner's feedback.")
    session_id: DbId | None = Field(None, description="Only feedback about this session.")
    flagged: bool | None = Field(None, description="Only feedback awaiting (or cleared of) follow-up.")
    since: Since | None = Field(None, description="Only feedback with a rating or comment received at or "
                                "after this time (`updated_at`).")


# ---- request bodies ------------------------------------------------------------------

class SessionCreate(Strict):
    """Record that a cohort sat a module; the post-session quiz is queued for its learners."""

    cohort_id: DbId = Field(description="A cohort of one of your sites.")
    module_key: str = Field(min_length=1, max_length=130, description="`pack/module`, e.g. "
                            "`digital-banking/upi-safety`.")
    held_at: HeldAt = Field(description="When the session was held, with its UTC offset; not in the future.")


# ---- responses -----------------------------------------------------------------------

class Ref(BaseModel):
    """Another object named in a row, so a client needs no second request for its name."""

    id: int
    name: str


class ModuleRef(BaseModel):
    id: int
    key: str = Field(description="`pack/module`.")


class ItemRef(BaseModel):
    id: int
    key: str = Field(description="`pack/module/item`.")


class SiteOut(BaseModel):
    id: int
    name: str
    country: str = Field(description="ISO 3166 code; the region of phone numbers written without one.")
    timezone: str
    send_start: str = Field(description="Local time (HH:MM) from which learners may be messaged.")
    send_end: str
    daily_cap: int | None = Field(description="Most prompts per learner per day; null: the default.")
    created_at: datetime


class CohortOut(BaseModel):
    id: int
    name: str
    site: Ref
    learners: int = Field(description="Learners registered in the cohort now.")
    created_at: datetime


class LearnerOut(BaseModel):
    id: int
    name: str
    phone: str = Field(description="E.164; masked (country code and last four digits, e.g. +91 ••••• •3205) except for admins.")
    site: Ref
    cohort: Ref | None
    language: str
    channel: Literal[CHANNELS]
    status: Literal[LEARNER_STATUSES]
    created_at: datetime


class CardOut(BaseModel):
    """One question's memory state for the learner (FSRS)."""

    item: ItemRef
    due: datetime = Field(description="When the question is next due for review.")
    state: int = Field(description="FSRS state: 1 learning, 2 review, 3 relearning.")
    reps: int
    lapses: int
    last_review: datetime | None


class PendingPromptOut(BaseModel):
    id: int
    kind: Literal[PROMPT_KINDS]
    item: ItemRef | None
    sent_at: datetime | None


class LearnerDetail(LearnerOut):
    timezone: str | None
    status_reason: str | None
    opted_out_at: datetime | None
    answers: int = Field(description="Questions answered, all time.")
    correct: int = Field(description="Of which answered right.")
    pending_prompt: PendingPromptOut | None = Field(description="The question awaiting a reply, if any.")
    next_due: datetime | None = Field(description="The earliest due card; null without cards.")
    cards: list[CardOut] = Field(description="Every card, soonest due first.")


class SessionOut(BaseModel):
    id: int
    held_at: datetime
    created_at: datetime
    created_by: int | None = Field(description="Id of the staff user who recorded it, if recorded by one.")
    site: Ref
    cohort: Ref
    module: ModuleRef
    module_key: str
    answers: int = Field(description="Quiz answers from this session.")
    correct: int
    ratings: int
    average_rating: float | None


class SessionCreated(SessionOut):
    learners_queued: int = Field(description="Learners for whom the post-session quiz was queued.")


class AnswerOut(BaseModel):
    id: int
    learner: Ref
    site_id: int
    item: ItemRef
    session_id: int | None = Field(description="The session whose quiz asked it; null for a later review.")
    kind: Literal[PROMPT_KINDS]
    raw: str = Field(description="The reply as the learner typed or keyed it.")
    choice: int = Field(description="The option it was read as (1-based).")
    correct: bool
    channel: str
    answered_at: datetime


class FeedbackOut(BaseModel):
    """One learner's feedback on one session: the rating and the comment together."""

    id: int
    learner: Ref
    site: Ref
    session_id: int | None
    cohort: Ref | None
    module_key: str | None
    rating: int | None = Field(description="1-5, or null while the learner has given none.")
    comment: str | None = Field(description="The learner's words, or null if none (yet, or skipped).")
    flagged: bool = Field(description="Awaiting follow-up by a supervisor.")
    testimonial: bool
    consent_at: datetime | None
    reviewed_at: datetime | None
    created_at: datetime = Field(description="When the first part (usually the rating) arrived.")
    updated_at: datetime = Field(description="When the last part arrived; `since` filters on it.")


Row = TypeVar("Row")


class Page(BaseModel, Generic[Row]):
    data: list[Row]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")


class SitePage(Page[SiteOut]):
    pass


class CohortPage(Page[CohortOut]):
    pass


class LearnerPage(Page[LearnerOut]):
    pass


class SessionPage(Page[SessionOut]):
    pass


class AnswerPage(Page[AnswerOut]):
    pass


class FeedbackPage(Page[FeedbackOut]):
    pass


class ErrorDetail(BaseModel):
    loc: list[str | int] = Field(description="Where: `query`/`body`/`path` and the field.")
    msg: str


class ErrorBody(BaseModel):
    code: str = Field(description="Stable and machine-readable: `unauthorized`, `forbidden`, "
                      "`not_found`, `invalid_request`, `session_refused`...")
    message: str = Field(description="For a person.")
    details: list[ErrorDetail] | None = None


class Error(BaseModel):
    error: ErrorBody
