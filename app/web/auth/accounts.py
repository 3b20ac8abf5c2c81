"""Staff accounts as plain functions over a database session, shared by the CLI and the web.

Sign-in failures are counted per account (``User.failed_logins``/``locked_until``, so a
lock holds across processes and restarts) and per client address in memory (so one
machine cannot walk through every account). Both use the injectable clock.
"""
from __future__ import annotations

import threading
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.i18n import LANGUAGES
from app.models import Site, User, UserSite
from app.models.staff import ROLES

MIN_PASSWORD = 10
# Werkzeug's default (scrypt) costs ~0.2 s a hash on purpose; tests swap in a cheap one.
HASH_METHOD = "scrypt"
MAX_FAILURES = 5
LOCK_MINUTES = 15


@cache
def _dummy_hash() -> str:
    """Checked against when the e-mail is unknown, so a wrong address costs as long as a wrong
    password. Made on first use: at import it cost every process (each CLI command, each
    worker) a scrypt hash it mostly never needs."""
    return generate_password_hash("not-a-password-anyone-has")


class AccountError(ValueError):
    """The account cannot be created or changed; the message says why."""


class LoginError(ValueError):
    """Sign-in refused. ``locked_until`` is set when the account or address is locked."""

    def __init__(self, message: str, locked_until: datetime | None = None):
        super().__init__(message)
        self.locked_until = locked_until


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def check_password_strength(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")


def create_user(*, db: Session, email: str, role: str, password: str, site_names=(),
                name: str = "", language: str = "en") -> User:
    """A new staff account bound to ``site_names`` (admins see every site and need none)."""
    email = normalize_email(email)
    if "@" not in email:
        raise AccountError(f"'{email}' is not an e-mail address")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if language not in LANGUAGES:
        raise AccountError(f"language must be one of {', '.join(LANGUAGES)}")
    if db.exec(select(User).where(User.email == email)).first():
        raise AccountError(f"a user with e-mail {email} already exists")
    sites = []
    for site_name in site_names:
        site = db.exec(select(Site).where(Site.name == site_name.strip())).first()
        if site is None:
            raise AccountError(f"no site called '{site_name}' (create it with: saathi sites add)")
        sites.append(site)
    if role != "admin" and not sites:
        raise AccountError(f"a {role} must be bound to at least one site (--site NAME)")
    check_password_strength(password)
    user = User(email=email, name=name.strip(), role=role, language=language,
                password_hash=generate_password_hash(password, method=HASH_METHOD))
    db.add(user)
    db.flush()
    for site in sites:
        db.add(UserSite(user_id=user.id, site_id=site.id))
    db.flush()
    return user


def set_password(*, db: Session, user: User, password: str) -> None:
    check_password_strength(password)
    user.password_hash = generate_password_hash(password, method=HASH_METHOD)
    user.failed_logins, user.locked_until = 0, None
    db.add(user)
    db.flush()


def site_names(*, db: Session, user: User) -> list[str]:
    return list(db.exec(select(Site.name).join(UserSite, UserSite.site_id == Site.id)
                        .where(UserSite.user_id == user.id).order_by(Site.name)).all())


def authenticate(*, db: Session, email: str, password: str, now: datetime,
                 max_failures: int = MAX_FAILURES, lock_minutes: int = LOCK_MINUTES) -> User:
    """The active user with these credentials, or ``LoginError``.

    After ``max_failures`` wrong passwords in a row the account is locked for
    ``lock_minutes``; while locked even the right password is refused.
    """
    user = db.exec(select(User).where(User.email == normalize_email(email))).first()
    if user is None or not user.active:
        check_password_hash(_dummy_hash(), password or "")
        raise LoginError("Invalid e-mail or password.")
    if user.locked_until and user.locked_until > now:
        raise LoginError("Too many failed attempts.", locked_until=user.locked_until)
    if not check_password_hash(user.password_hash, password or ""):
        user.failed_logins += 1
        if user.failed_logins >= max_failures:
            user.locked_until = now + timedelta(minutes=lock_minutes)
            user.failed_logins = 0
        db.add(user)
        db.flush()
        if user.locked_until and user.locked_until > now:
            raise LoginError("Too many failed attempts.", locked_until=user.locked_until)
        raise LoginError("Invalid e-mail or password.")
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    db.add(user)
    db.flush()
    return user


@dataclass
class AddressLimiter:
    """Failed sign-ins per client address in a sliding window, in this process's memory.

    A restart forgets it; the per-account lock in the database is the one that must hold.
    """

    max_failures: int = 20
    window: timedelta = timedelta(minutes=LOCK_MINUTES)

    def __post_init__(self):
        self._failures: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def _trim(self, address: str, now: datetime) -> deque:
        times = self._failures[address]
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def blocked_until(self, address: str, now: datetime) -> datetime | None:
        with self._lock:
            times = self._trim(address, now)
            if len(times) >= self.max_failures:
                return times[0] + self.window
            if not times:
                self._failures.pop(address, None)
            return None

    def record_failure(self, address: str, now: datetime) -> None:
        with self._lock:
            self._trim(address, now).append(now)

    def reset(self, address: str) -> None:
        with self._lock:
            self._failures.pop(address, None)
