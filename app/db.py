"""Database engine and sessions: one ``Session`` per request, jobs open their own.

The same code runs on SQLite (the embedded default) and PostgreSQL (production);
``is_postgres`` is the single switch for the few places where they differ (row locks).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g
from sqlalchemy import event, literal_column
from sqlalchemy.engine import Engine
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, create_engine


def make_engine(url: str, echo: bool = False, *, sqlite_immediate: bool = True) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("sqlite"):
        engine = create_engine(
            url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # Let SQLAlchemy, not pysqlite, open transactions (SAVEPOINTs then work) ...
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        if not sqlite_immediate:
            return engine

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn):
            # ... and take the write lock up front: a transaction that read a stale snapshot
            # cannot be upgraded to a writer in WAL mode, which would fail a second worker
            # with "database is locked" instead of making it wait its turn.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)


def get_engine(app: Flask | None = None) -> Engine:
    return (app or current_app).extensions["saathi.engine"]


def is_postgres(db_or_engine) -> bool:
    bind = db_or_engine.get_bind() if isinstance(db_or_engine, Session) else db_or_engine
    return bind.dialect.name == "postgresql"


def locked(statement, **for_update):
    """``statement`` as SELECT ... FOR UPDATE, its rows read afresh even if the session holds
    them: for a read-then-write that another transaction may be doing at the same moment.
    (SQLite ignores the lock; its writers take turns anyway.)"""
    return statement.with_for_update(**for_update).execution_options(populate_existing=True)


def upsert(db_or_engine, table):
    """An INSERT that can take ``ON CONFLICT`` (``on_conflict_do_nothing``/``_do_update``),
    for the database ``db_or_engine`` is on: both dialects spell it the same."""
    if is_postgres(db_or_engine):
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def mark_clean(obj) -> None:
    """Tell the session that ``obj``'s row already holds its current values (written by a
    statement of our own), so that the next flush does not write them again."""
    for column in obj.__table__.columns:
        set_committed_value(obj, column.key, getattr(obj, column.key))


def get_db() -> Session:
    """The request's session, opened on first use and closed at teardown."""
    if "db" not in g:
        g.db = Session(get_engine(), expire_on_commit=False)
    return g.db


@contextmanager
def session_scope(app: Flask | None = None) -> Iterator[Session]:
    """A session for a job or CLI command: committed on success, rolled back on error."""
    with Session(get_engine(app), expire_on_commit=False) as db:
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise


def close_db(_exc=None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_app(app: Flask) -> None:
    from app.scheduling import wake

    wake.install(Session)  # keeps the dispatcher's due index honest, whoever writes
    app.extensions["saathi.engine"] = make_engine(
        app.config["DATABASE_URL"], echo=app.config["SQLALCHEMY_ECHO"]
    )
    app.teardown_appcontext(close_db)


def fixed(value: str):
    """A string written into the SQL itself, not bound as a parameter.

    PostgreSQL may run a statement the driver has prepared with a generic plan, made without
    the parameters' values; such a plan cannot use a partial index (``WHERE status =
    'pending'``) for ``status = $1``. Seen as a per-chunk query growing from 1 ms to 400 ms as
    the prompt table filled. Only for constants of our own, never for input.
    """
    return literal_column("'" + value.replace("'", "''") + "'")
