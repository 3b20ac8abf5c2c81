"""Writing many rows in one round trip, on either database.

On PostgreSQL a multi-row ``INSERT ... VALUES`` of a few hundred rows is a long statement
that the driver parses afresh every time, and ``executemany`` is still a message per row.
Passing each column as one array and letting ``unnest`` turn them back into rows keeps the
statement short and the same for every chunk: one message, however many rows. SQLite runs
in our process, so its plain ``executemany`` is already cheap and is used as it is.
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from sqlalchemy import (
    Select,
    Table,
    Update,
    bindparam,
    func,
    insert,
    inspect,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session

from app.db import mark_clean

_DIALECT = postgresql.dialect()


def _array(table: Table, name: str) -> str:
    column_type = table.c[name].type
    base = column_type.impl if isinstance(column_type, TypeDecorator) else column_type
    return f"CAST(:{name} AS {base.compile(dialect=_DIALECT)}[])"


def _columns(table: Table, names: Sequence[str], rows: Sequence[dict]) -> dict[str, list]:
    """Each column's values as one list, put through the column type's own conversion."""
    out = {}
    for name in names:
        column_type = table.c[name].type
        own = isinstance(column_type, TypeDecorator) and \
            type(column_type).process_bind_param is not TypeDecorator.process_bind_param
        convert = column_type.process_bind_param if own else None
        values = [row[name] for row in rows]
        out[name] = [convert(v, _DIALECT) for v in values] if convert else values
    return out


def insert_rows(db: Session, table: Table, rows: Sequence[dict], *, returning: Sequence[str] = ()) -> list:
    """INSERT ``rows`` (dicts with the same keys); the ``returning`` columns of each, in no
    particular order."""
    if not rows:
        return []
    names = list(rows[0])
    if db.get_bind().dialect.name != "postgresql":
        statement = insert(table)
        if returning:
            return db.execute(statement.returning(*(table.c[n] for n in returning)), list(rows)).all()
        db.execute(statement, list(rows))
        return []
    sql = (f"INSERT INTO {table.name} ({', '.join(names)}) "
           f"SELECT * FROM unnest({', '.join(_array(table, n) for n in names)})")
    if returning:
        sql += f" RETURNING {', '.join(returning)}"
    result = db.execute(text(sql), _columns(table, names, rows))
    return result.all() if returning else []


def update_rows(db: Session, table: Table, rows: Sequence[dict], *, key: str = "id") -> None:
    """UPDATE each row found by ``key`` with the other values of its dict (same keys in all)."""
    if not rows:
        return
    names = [n for n in rows[0] if n != key]
    if db.get_bind().dialect.name != "postgresql":
        params = [{f"b_{k}": v for k, v in row.items()} for row in rows]
        db.execute(update(table).where(table.c[key] == bindparam(f"b_{key}"))
                   .values({n: bindparam(f"b_{n}") for n in names}), params)
        return
    every = [key, *names]
    sql = (f"UPDATE {table.name} SET {', '.join(f'{n} = v.{n}' for n in names)} "
           f"FROM unnest({', '.join(_array(table, n) for n in every)}) AS v({', '.join(every)}) "
           f"WHERE {table.name}.{key} = v.{key}")
    db.execute(text(sql), _columns(table, every, rows))


def claim(target, due: Select, **values) -> Update:
    """``UPDATE target SET values WHERE id IN (due ... FOR UPDATE SKIP LOCKED)``, to which the
    caller adds its ``RETURNING``. The sender's outbox rows and queued e-mails are claimed this
    way (the planner's learners only need the lock: ``planner.claim_due``): a worker passes
    over the rows another is claiming instead of waiting for them, so N workers take N
    different chunks. ``due`` selects the ids, ordered and limited; SQLite, one writer at a
    time, has no row locks and ignores the clause."""
    ids = target.c.id if isinstance(target, Table) else target.id
    return update(target).where(ids.in_(due.with_for_update(skip_locked=True).scalar_subquery())).values(**values)


def per_key(db: Session, ids: Sequence[int], key, columns: Sequence, *, where: Sequence = (),
            order_by: Sequence = (), from_=None, count: bool = False) -> list:
    """For each id in ``ids``: ``(id, *columns)`` of the first row (by ``order_by``) whose
    ``key`` is that id, or ``(id, n)`` with ``count``. Ids without a row are left out.

    On PostgreSQL each id is looked up on its own (``unnest`` + ``LATERAL ... LIMIT 1``), so
    the cost is the chunk's, not the table's, even when the planner's statistics are stale:
    a table that filled up since the last ANALYZE (a new programme's first morning) made the
    plain ``key = ANY(...)`` form scan every pending prompt for every chunk.
    """
    if not ids:
        return []
    if db.get_bind().dialect.name == "postgresql":
        x = func.unnest(bindparam(None, list(ids), type_=postgresql.ARRAY(key.type))).table_valued("id").render_derived(name="x")
        picked = [func.count()] if count else list(columns)
        inner = select(*picked).where(key == x.c.id, *where)
        if from_ is not None:
            inner = inner.select_from(from_)
        if not count:
            inner = inner.order_by(*order_by).limit(1)
        sub = inner.lateral("first")
        rows = db.execute(select(x.c.id, *sub.c).select_from(x).join(sub, true())).all()
        return [row for row in rows if not count or row[1]]
    if count:
        query = select(key, func.count()).where(key.in_(list(ids)), *where).group_by(key)
        return db.execute(query.select_from(from_) if from_ is not None else query).all()
    rank = func.row_number().over(partition_by=key, order_by=list(order_by)).label("rank")
    inner = select(key.label("key_id"), *columns, rank).where(key.in_(list(ids)), *where)
    ranked = (inner.select_from(from_) if from_ is not None else inner).subquery()
    return db.execute(select(*[c for c in ranked.c if c.name != "rank"]).where(ranked.c.rank == 1)).all()


def write_changes(db: Session, *, then: tuple[str, dict, Sequence] | None = None) -> None:
    """Write what ``db`` holds new or changed, in one statement on PostgreSQL.

    A flush sends an INSERT or UPDATE per object, each a round trip and a statement the
    server parses, plans and logs; for a request that ends with four or five small writes
    (an answer, its card, the reply, the inbound row) that was half of its database time.
    Here each table's new rows become one multi-row INSERT and each changed row an UPDATE
    of its changed columns, chained as ``WITH w0 AS (...), w1 AS (...)`` in front of
    ``then`` (SQL text, its parameters and their typed ``bindparam``s; default ``SELECT 1``;
    a ``then`` that begins ``WITH`` has its common table expressions joined to the chain,
    a statement taking one ``WITH``, so the same text can also run on its own).
    The new objects are then let go (their ids are not read back: the caller must not need
    them) and the changed ones marked clean. Order: rows of one table go in the order they
    were added; tables and changed rows in no promised order, so writes that must follow
    each other (``prompts.save_in_order``) are not left to this. SQLite: a plain flush
    (``then`` is PostgreSQL text; callers on SQLite write their tail their own way).
    """
    if db.get_bind().dialect.name != "postgresql":
        db.flush()
        return
    new: dict[Table, list] = {}
    for obj in sorted(db.new, key=lambda o: inspect(o).insert_order):
        new.setdefault(obj.__table__, []).append(obj)
    changed = [(obj, _changed_columns(obj)) for obj in db.dirty]
    changed = [(obj, names) for obj, names in changed if names]
    shape, params = [], {}
    for table, objs in new.items():
        names = tuple(c.key for c in table.columns if not (c.primary_key and getattr(objs[0], c.key) is None)
                      and c.key in inspect(objs[0]).dict)
        shape.append(("insert", table, names, len(objs)))
        n = len(shape) - 1
        params.update({f"w{n}_{r}_{k}": getattr(o, k) for r, o in enumerate(objs) for k in names})
    for obj, names in changed:
        key = tuple(c.key for c in obj.__table__.primary_key)
        shape.append(("update", obj.__table__, names + key, 1))
        n = len(shape) - 1
        params.update({f"w{n}_0_{k}": getattr(obj, k) for k in names + key})
    if shape or then is not None:
        tail_sql, tail_params, tail_binds = then or ("SELECT 1", {}, ())
        with db.no_autoflush:  # a flush first would write it all twice
            db.execute(_chained(tuple(shape), tail_sql, tuple(tail_binds)), {**params, **tail_params})
    for objs in new.values():
        for obj in objs:
            db.expunge(obj)
    for obj, _names in changed:
        mark_clean(obj)


def _changed_columns(obj) -> tuple[str, ...]:
    state = inspect(obj)
    return tuple(c.key for c in obj.__table__.columns if state.attrs[c.key].history.has_changes())


@lru_cache(maxsize=256)
def _chained(shape: tuple, tail_sql: str, tail_binds: tuple):
    """``write_changes``'s statement for a shape of writes, built once (building the text and
    its typed parameters cost more than sending it)."""
    parts, binds = [], []
    for n, (kind, table, names, rows) in enumerate(shape):
        columns = {c.key: c for c in table.columns}
        binds += [bindparam(f"w{n}_{r}_{k}", type_=columns[k].type) for r in range(rows) for k in names]
        if kind == "insert":
            values = ", ".join("(" + ", ".join(f":w{n}_{r}_{k}" for k in names) + ")" for r in range(rows))
            body = f"INSERT INTO {table.name} ({', '.join(columns[k].name for k in names)}) VALUES {values}"
        else:
            key = {c.key for c in table.primary_key}
            sets = ", ".join(f"{columns[k].name} = :w{n}_0_{k}" for k in names if k not in key)
            where = " AND ".join(f"{columns[k].name} = :w{n}_0_{k}" for k in names if k in key)
            body = f"UPDATE {table.name} SET {sets} WHERE {where}"
        parts.append(f"w{n} AS ({body})")
    if parts and tail_sql.startswith("WITH "):  # its own WITH joins the chain (one per statement)
        parts.append(tail_sql.removeprefix("WITH "))
        return text("WITH " + ", ".join(parts)).bindparams(*binds, *tail_binds)
    head = "WITH " + ", ".join(parts) + " " if parts else ""
    return text(head + tail_sql).bindparams(*binds, *tail_binds)
