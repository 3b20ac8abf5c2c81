"""The audit log: who changed what about a learner or a site, and when.

Supervisors answer for their sites; when a learner stops hearing from Saathi, or starts
hearing at another hour, they need to see the change that did it. Rows are only ever
added. ``detail`` holds the change itself (old and new values), never a phone number.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index
from sqlmodel import Column, Field, SQLModel

from app.models.types import UTCDateTime


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_site_at", "site_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    # None: the command line or the system (an import run by an admin in a shell).
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    site_id: int | None = Field(default=None, foreign_key="site.id")
    learner_id: int | None = Field(default=None, foreign_key="learner.id", index=True)
    action: str = Field(max_length=32)
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
