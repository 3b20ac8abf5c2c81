"""Content packs as stored: imported from ``content/`` YAML, never edited in place.

Items keep their row (and so every learner's cards and answers) across re-imports;
an item removed from a pack is retired (``active=False``), not deleted.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from app.clock import utcnow
from app.models.types import UTCDateTime


class Pack(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True, index=True)
    title: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    languages: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Registered message templates per channel, message kind and language: WhatsApp's
    # approved content (outside the 24-hour window) and India's DLT SMS templates.
    templates: dict | None = Field(default=None, sa_column=Column(JSON))
    # Languages only some modules are in; languages whose texts await review: {"ta": "native speaker"}.
    partial_languages: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    needs_review: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))
    source_hash: str | None = Field(default=None, max_length=64)
    imported_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    # FSRS's weights fitted to this pack's answers (``saathi fit``, app/learning/fitting.py): how
    # fast these learners forget this content. None until enough reviews; kept across re-imports.
    memory_parameters: list | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    memory_fitted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    memory_reviews: int = 0  # the answers the last fit learned from


class Module(SQLModel, table=True):
    """One classroom session's worth of content; ``key`` is ``pack/module``."""

    id: int | None = Field(default=None, primary_key=True)
    pack_id: int = Field(foreign_key="pack.id", index=True)
    slug: str = Field(max_length=64)
    key: str = Field(max_length=130, unique=True, index=True)
    position: int = 0
    title: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    greeting: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    feedback: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    active: bool = True


class Item(SQLModel, table=True):
    """A multiple-choice question. ``answer`` is the 1-based number of the right option."""

    __table_args__ = (UniqueConstraint("module_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    module_id: int = Field(foreign_key="module.id", index=True)
    slug: str = Field(max_length=64)
    position: int = 0
    question: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    options: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    answer: int = 1
    explanation: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    audio: dict | None = Field(default=None, sa_column=Column(JSON))
    active: bool = True
