"""All tables, importable from one place (Alembic's autogenerate needs them registered)."""
from app.models.audit import AuditEvent
from app.models.content import Item, Module, Pack
from app.models.journey import (
    ImpactPage,
    JourneyCheckin,
    JourneyStep,
    JourneyTarget,
    LearnerMilestone,
    Milestone,
)
from app.models.learning import Answer, Card, Feedback, Prompt, TrainingSession
from app.models.messaging import DeliveryEvent, Inbound, Outbox, SenderPace
from app.models.people import Cohort, Learner, Site
from app.models.staff import User, UserSite, VoiceSetting
from app.models.voice import VoiceCall

__all__ = [
    "Answer", "AuditEvent", "Card", "Cohort", "DeliveryEvent", "Feedback", "Inbound", "Item", "JourneyCheckin", "JourneyStep", "ImpactPage", "JourneyTarget", "Learner", "LearnerMilestone", "Milestone", "Module",
    "Outbox", "Pack", "SenderPace", "Prompt", "Site", "TrainingSession", "User", "UserSite", "VoiceCall", "VoiceSetting",
]
