"""Writing many rows in one round trip, on either database.

On PostgreSQL a multi-row ``INSERT ... VALUES`` of a few hundred rows is a long statement
that the driver parses afresh every time, and ``executemany`` is still a message per row.
Passing each column as one array and letting ``unnest`` turn them back into rows keeps the
statement short and the same for every chunk: one message, however many rows. SQLite runs
in our process, so its plain ``executemany`` is already cheap and is used as it is.
"""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, Table, Update, bindparam, func, insert, select, text, true, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session

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
    caller adds its ``RETURNING``. The planner's learners and the sender's outbox rows are
    claimed this way: a worker passes over the rows another is claiming instead of waiting for
    them, so N workers take N different chunks. ``due`` selects the ids, ordered and limited;
    SQLite, one writer at a time, has no row locks and ignores the clause."""
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
