"""API views of skills milestones: where a learner stands on each, and a staff confirmation.

The same rules as the learner page: the learner must be among your sites (404), trainers,
supervisors and admins (every staff role) confirm, and the learner's own SMS/voice/WhatsApp answers land in
the same rows (``app.journeys.milestones``).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.clock import get_clock
from app.db import get_db
from app.journeys import milestones
from app.models.journey import MILESTONE_STATUSES
from app.web.api.auth import current_user
from app.web.api.errors import not_found
from app.web.api.journeys import Ref, _learner_or_404
from app.web.api.openapi import operation
from app.web.api.schemas import Strict


class MilestoneOut(BaseModel):
    key: str = Field(description="cv, bank, booking, interview, or the programme's own key.")
    title: str = Field(description="As staff read it (a built-in one in English).")
    own: bool = Field(description="The programme's own milestone, not a built-in one.")
    status: Literal[MILESTONE_STATUSES] | None = Field(description="Null: never asked nor confirmed.")
    reached_on: date | None
    confirmed_by_staff: bool
    channel: str | None = Field(description="The channel the learner confirmed it on, if they did.")
    updated_at: datetime | None


class MilestoneList(BaseModel):
    learner: Ref
    milestones: list[MilestoneOut]


class MilestoneConfirm(Strict):
    key: str = Field(max_length=32, description="Which milestone (``GET .../milestones`` lists the keys).")
    reached: bool = Field(True, description="True: reached; false: not yet.")


def _out(definition, state) -> MilestoneOut:
    return MilestoneOut(key=definition.key, title=definition.title, own=definition.own,
                        status=state.status if state else None, reached_on=state.reached_on if state else None,
                        confirmed_by_staff=bool(state and state.confirmed_by), channel=state.channel if state else None,
                        updated_at=state.updated_at if state else None)


@operation("GET", "/learners/<learner_id>/milestones", response=MilestoneList)
def learner_milestones(learner_id: int):
    """The learner's skills milestones (those of their programme), reached or not."""
    learner = _learner_or_404(learner_id)
    db = get_db()
    states = milestones.states(db, learner.id)
    return MilestoneList(learner=Ref(id=learner.id, name=learner.name),
                         milestones=[_out(d, states.get(d.key)) for d in milestones.definitions(db, learner.site_id)])


@operation("POST", "/learners/<learner_id>/milestones", response=MilestoneOut, body=MilestoneConfirm)
def confirm_milestone(learner_id: int, body: MilestoneConfirm):
    """Confirm that the learner reached a milestone (or has not yet), as staff.

    404 for a learner outside your sites or a key their programme does not have.
    """
    learner = _learner_or_404(learner_id)
    db = get_db()
    key = body.key
    definition = milestones.definition(db, learner.site_id, key)
    if definition is None:
        raise not_found(f"No milestone {key} in this learner's programme.")
    state = milestones.confirm(db, learner=learner, key=key, now=get_clock().now(), user_id=current_user().id,
                               reached=body.reached)
    db.commit()
    return _out(definition, state)
