"""SQLAlchemy 2 against pgsvc, side by side with PostgreSQL 15, through both of its
PostgreSQL dialects (postgresql+psycopg and postgresql+asyncpg).

For each dialect the same realistic model (serial and identity keys, a foreign key with
ON DELETE CASCADE, unique, index, check constraints, server defaults, Numeric,
DateTime(timezone=True), Boolean, JSON/JSONB, UUID, ARRAY, String(n)/Text, table and
column comments, a standalone Sequence and a view made with DDL) is created with
create_all in its own database on both servers; then every Inspector method and
MetaData.reflect() must give PostgreSQL 15's answers (modulo OIDs, which appear only in
the names of NOT NULL constraints), ORM work with relationships must behave the same, and
drop_all must leave nothing behind. Expectations are never hard-coded: PostgreSQL 15 is
the reference.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from decimal import Decimal

import pytest

sa = pytest.importorskip("sqlalchemy")
pytest.importorskip("psycopg")
pytest.importorskip("asyncpg")

from sqlalchemy import (DDL, BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey,  # noqa: E402
                        Identity, Index, Integer, MetaData, Numeric, Sequence, String, Text,
                        UniqueConstraint, event, func, inspect, select, text)
from sqlalchemy.dialects.postgresql import ARRAY, JSON, JSONB, UUID  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine  # noqa: E402
from sqlalchemy.orm import (DeclarativeBase, Mapped, Session, joinedload, mapped_column,  # noqa: E402
                            relationship, selectinload)

DIALECTS = ("psycopg", "asyncpg")


# --- the model -----------------------------------------------------------------------------

class Base(DeclarativeBase):
    pass


order_number = Sequence("order_number_seq", start=1000, increment=5, metadata=Base.metadata)


class Customer(Base):
    __tablename__ = "customer"
    __table_args__ = (UniqueConstraint("email", name="customer_email_key"),
                      CheckConstraint("char_length(name) > 0", name="customer_name_nonempty"),
                      {"comment": "people who order"})
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), comment="display name")
    email: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    prefs = mapped_column(JSONB, nullable=True)
    tags = mapped_column(ARRAY(Text), nullable=True)
    orders: Mapped[list[Order]] = relationship(back_populates="customer", cascade="all, delete-orphan",
                                               order_by="Order.id")


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (Index("orders_total_ref_idx", "total", "ref"),
                      CheckConstraint("total >= 0", name="orders_total_check"))
    id: Mapped[int] = mapped_column(BigInteger, Identity(start=1, increment=1), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, order_number, server_default=order_number.next_value())
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2), server_default="0")
    ref: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    note = mapped_column(Text, nullable=True)
    payload = mapped_column(JSON, nullable=True)
    customer: Mapped[Customer] = relationship(back_populates="orders")


event.listen(Base.metadata, "after_create", DDL(
    "CREATE VIEW big_orders AS SELECT o.id, o.total, c.name FROM orders o "
    "JOIN customer c ON c.id = o.customer_id WHERE o.total > 100"))
event.listen(Base.metadata, "before_drop", DDL("DROP VIEW IF EXISTS big_orders"))

TABLES = ("customer", "orders")


# --- reflection, normalised for comparison -------------------------------------------------

def _norm(value):
    """Reflection results in comparable form: types by their SQL spelling, NOT NULL
    constraint names without the OIDs they carry."""
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_norm(v) for v in value]
    if isinstance(value, sa.types.TypeEngine):
        return f"{type(value).__name__}:{value!r}"
    return value


def reflect_everything(conn) -> dict:
    """Every Inspector method (and MetaData.reflect) on one connection. Each call runs on
    a savepoint and a failing one gives its error's first line instead of a result, so
    that one failure does not hide how the other calls compare."""
    insp = inspect(conn)

    def call(fn, *args):
        savepoint = conn.begin_nested()
        insp.clear_cache()
        try:
            got = fn(*args)
        except sa.exc.DBAPIError as e:
            savepoint.rollback()
            return f"ERROR: {str(e.orig).splitlines()[0]}"
        savepoint.commit()
        return got
    out = {
        "get_schema_names": call(insp.get_schema_names),
        "get_table_names": call(insp.get_table_names),
        "get_view_names": call(insp.get_view_names),
        "get_view_definition": call(insp.get_view_definition, "big_orders"),
        "get_sequence_names": call(insp.get_sequence_names),
        "get_temp_table_names": call(insp.get_temp_table_names),
        "get_materialized_view_names": call(insp.get_materialized_view_names),
        "has_table": [call(insp.has_table, t) for t in (*TABLES, "big_orders", "missing")],
        "has_sequence": [call(insp.has_sequence, s) for s in ("order_number_seq", "missing")],
        "has_index": [call(insp.has_index, "orders", i) for i in ("orders_total_ref_idx", "missing")],
    }
    for name in (*TABLES, "big_orders"):
        for method in ("get_columns", "get_pk_constraint", "get_foreign_keys", "get_indexes",
                       "get_unique_constraints", "get_check_constraints", "get_table_comment"):
            out[f"{method}({name})"] = call(getattr(insp, method), name)
    for method in ("get_multi_columns", "get_multi_pk_constraint", "get_multi_foreign_keys",
                   "get_multi_indexes", "get_multi_unique_constraints", "get_multi_check_constraints",
                   "get_multi_table_comment"):
        got = call(getattr(insp, method))
        out[method] = sorted(got.items()) if isinstance(got, dict) else got
    out["MetaData.reflect"] = call(_reflected, conn)
    return _norm(out)


def _server_default(default) -> str | None:
    if default is None:
        return None
    if isinstance(default, Identity):
        return f"identity always={default.always} start={default.start} increment={default.increment}"
    return str(default.arg)


def _reflected(conn) -> dict:
    md = MetaData()
    md.reflect(conn, views=True)
    return {
        t.name: {"columns": [(c.name, repr(c.type), c.nullable, c.primary_key, c.comment,
                              _server_default(c.server_default)) for c in t.columns],
                 "fks": sorted(str(fk.target_fullname) + "/" + str(fk.ondelete) for fk in t.foreign_keys),
                 "indexes": sorted(i.name for i in t.indexes),
                 "checks": sorted(str(c.sqltext) for c in t.constraints if isinstance(c, CheckConstraint)),
                 "comment": t.comment}
        for t in md.sorted_tables
    }


# --- ORM work ----------------------------------------------------------------------------

REF = [uuid.UUID(int=i) for i in range(1, 5)]


def orm_work(s: Session) -> list:
    """ORM CRUD with relationships; returns what was observed, step by step."""
    seen = []
    ann = Customer(name="Ann", email="ann@example.com", prefs={"lang": "en"}, tags=["a", "b"])
    bob = Customer(name="Bob", email="bob@example.com", active=False)
    ann.orders = [Order(total=Decimal("150.25"), ref=REF[0], payload={"x": [1, 2]}),
                  Order(total=Decimal("20.00"), ref=REF[1], note="small")]
    bob.orders = [Order(total=Decimal("300"), ref=REF[2])]
    s.add_all([ann, bob])
    s.flush()
    seen.append(("ids", [o.id for o in ann.orders + bob.orders], [o.number for o in ann.orders + bob.orders]))
    seen.append(("defaults", ann.active, bob.active, isinstance(ann.created, dt.datetime)))
    s.commit()

    rows = s.scalars(select(Customer).options(selectinload(Customer.orders)).order_by(Customer.id)).all()
    seen.append(("selectin", [(c.name, c.tags, c.prefs, [(o.total, o.ref, o.note, o.payload)
                                                          for o in c.orders]) for c in rows]))
    s.expunge_all()
    rows = s.scalars(select(Order).options(joinedload(Order.customer)).order_by(Order.id)).all()
    seen.append(("joined", [(o.number, o.customer.email, o.total) for o in rows]))
    seen.append(("view", s.execute(text("SELECT id, total, name FROM big_orders ORDER BY id")).all()))

    ann = s.scalars(select(Customer).where(Customer.name == "Ann")).one()
    ann.orders.pop()  # delete-orphan
    ann.email = "ann@example.org"
    s.commit()
    seen.append(("orphan", s.scalars(select(func.count()).select_from(Order)).one()))

    try:  # the check constraint holds on both
        s.add(Order(customer_id=ann.id, total=Decimal("-1"), ref=REF[3]))
        s.flush()
        seen.append(("check", "accepted"))
    except sa.exc.IntegrityError as e:
        seen.append(("check", type(e.orig).__name__))
        s.rollback()

    # ON DELETE CASCADE in the database (not the ORM's cascade): a Core DELETE
    s.execute(sa.delete(Customer).where(Customer.name == "Bob"))
    s.commit()
    seen.append(("cascade", s.execute(select(Order.total).order_by(Order.id)).scalars().all()))
    s.delete(s.scalars(select(Customer)).one())
    s.commit()
    seen.append(("emptied", s.scalars(select(func.count()).select_from(Order)).one(),
                 s.scalars(select(func.count()).select_from(Customer)).one()))
    return seen


# --- running one dialect against one server --------------------------------------------------

def _url(dialect: str, host: str, port: int, user: str, db: str) -> str:
    return f"postgresql+{dialect}://{user}@{host}:{port}/{db}"


def run_dialect(dialect: str, url: str, step, orm: bool = False) -> object:
    """step(conn) inside one transaction that commits, or step(session) for ORM work
    (orm=True; the session commits itself), with either dialect."""
    if dialect == "psycopg":
        engine = sa.create_engine(url)
        try:
            if orm:
                with Session(engine) as session:
                    return step(session)
            with engine.begin() as conn:
                return step(conn)
        finally:
            engine.dispose()

    async def go():
        engine = create_async_engine(url)
        try:
            if orm:
                async with AsyncSession(engine) as session:
                    return await session.run_sync(step)
            async with engine.begin() as conn:
                return await conn.run_sync(step)
        finally:
            await engine.dispose()
    return asyncio.run(go())


def create_all(conn):
    Base.metadata.create_all(conn)


def drop_all_and_list(conn):
    Base.metadata.drop_all(conn)
    insp = inspect(conn)
    return insp.get_table_names(), insp.get_view_names(), insp.get_sequence_names()


@pytest.fixture(scope="module")
def servers(module_server_factory, pg15):
    """(pgsvc, PostgreSQL 15) with one fresh database per dialect on each."""
    import psycopg

    srv = module_server_factory()
    for d in DIALECTS:
        with psycopg.connect(srv.dsn(), autocommit=True) as c:
            c.execute(f"CREATE DATABASE sa_{d}")
        with psycopg.connect(pg15.dsn(), autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS sa_{d}")
            c.execute(f"CREATE DATABASE sa_{d}")
    return srv, pg15


def _both(servers, dialect: str, step, orm: bool = False):
    srv, pg = servers
    ours = run_dialect(dialect, _url(dialect, "127.0.0.1", srv.port, srv.superuser, f"sa_{dialect}"), step, orm)
    theirs = run_dialect(dialect, _url(dialect, "127.0.0.1", pg.port, "postgres", f"sa_{dialect}"), step, orm)
    return ours, theirs


def _without_oids(value):
    """NOT NULL constraints carry their schema's and table's OIDs in their names
    (2200_16385_1_not_null): the only place OIDs show in reflection."""
    import re
    if isinstance(value, str):
        return re.sub(r"^\d+_\d+_(\d+)_not_null$", r"N_N_\1_not_null", value)
    if isinstance(value, dict):
        return {k: _without_oids(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_oids(v) for v in value]
    return value


@pytest.fixture(scope="module")
def created(servers):
    """The model, made with create_all on both servers, once per dialect."""
    made = set()

    def make(dialect: str):
        if dialect not in made:
            _both(servers, dialect, create_all)
            made.add(dialect)
    return make


@pytest.mark.pg15
@pytest.mark.parametrize("dialect", DIALECTS)
def test_inspector_and_reflect_match_postgresql_15(servers, created, dialect):
    created(dialect)
    ours, theirs = _both(servers, dialect, reflect_everything)
    ours, theirs = _without_oids(ours), _without_oids(theirs)
    differ = {key: (ours.get(key), theirs[key]) for key in theirs if ours.get(key) != theirs[key]}
    assert not differ, "\n".join(f"{k}:\n  pgsvc: {o!r}\n  pg15:  {t!r}" for k, (o, t) in differ.items())


@pytest.mark.pg15
@pytest.mark.parametrize("dialect", DIALECTS)
def test_orm_crud_with_relationships_matches_postgresql_15(servers, created, dialect):
    created(dialect)
    ours, theirs = _both(servers, dialect, orm_work, orm=True)
    assert ours == theirs


@pytest.mark.pg15
@pytest.mark.parametrize("dialect", DIALECTS)
def test_drop_all_leaves_nothing(servers, created, dialect):
    created(dialect)
    ours, theirs = _both(servers, dialect, drop_all_and_list)
    assert ours == theirs == ([], [], [])
