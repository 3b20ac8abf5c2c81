"""Staff accounts. Trainers and supervisors are bound to sites and see nothing beyond them."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Column, Field, SQLModel

from app.clock import utcnow
from app.models.types import UTCDateTime

ROLES = ("admin", "trainer", "supervisor")


class UserSite(SQLModel, table=True):
    __tablename__ = "user_site"

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    site_id: int = Field(foreign_key="site.id", primary_key=True)


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=200, unique=True, index=True)
    name: str = Field(default="", max_length=120)
    password_hash: str = Field(max_length=256)
    role: str = Field(default="supervisor", max_length=16)
    language: str = Field(default="en", max_length=8)
    active: bool = True
    api_token_hash: str | None = Field(default=None, max_length=128, index=True)
    failed_logins: int = 0
    locked_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    last_login_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class VoiceSetting(SQLModel, table=True):
    """How Twilio ``<Say>`` speaks a language; a deployer may change any row."""

    __tablename__ = "voice_setting"

    language: str = Field(max_length=8, primary_key=True)
    say_language: str = Field(max_length=16)
    voice: str = Field(max_length=64)
    speech_language: str | None = Field(default=None, max_length=16)
