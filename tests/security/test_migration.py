"""Migration 0003 on a database that already holds data: rows, ledger and links survive; ids are never reused
afterwards; every existing user gets a distinct session key; the schema matches the models. SQLite and PostgreSQL."""
from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import text

from tortodelova.db import MIGRATIONS_DIR, make_engine, migrate
from tortodelova.db_tables import Base

MY_TABLES = {"users", "demo_guests"}


def _upgrade_to(engine, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def _tables_of(diff) -> set[str]:
    names = set()
    for item in diff if isinstance(diff, list) else [diff]:
        for part in item if isinstance(item, tuple) else (item,):
            table = getattr(part, "table", None)
            name = getattr(part, "name", None) if table is None else getattr(table, "name", None)
            if isinstance(part, str) and part in MY_TABLES:
                names.add(part)
            elif name:
                names.add(name)
    return names


def test_upgrade_keeps_data_and_stops_id_reuse(database_url):
    engine = make_engine(database_url)
    _upgrade_to(engine, "0002")
    with engine.begin() as conn:
        for i in (1, 2, 3):
            conn.execute(text("INSERT INTO users (email, password_hash, role, balance, is_active, created_at) "
                              "VALUES (:email, 'h', 'user', 10, true, CURRENT_TIMESTAMP)"),
                         {"email": f"u{i}@example.com"})
            conn.execute(text("INSERT INTO transactions (user_id, kind, amount, balance_after, description, actor, "
                              "created_at) SELECT id, 'bonus', 10, 10, '', 'system', CURRENT_TIMESTAMP FROM users "
                              "WHERE email = :email"), {"email": f"u{i}@example.com"})
    migrate(engine)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM transactions")).scalar() == 3
        keys = conn.execute(text("SELECT session_key FROM users")).scalars().all()
        assert len(set(keys)) == 3 and all(len(k) == 32 for k in keys)
        newest = conn.execute(text("SELECT max(id) FROM users")).scalar()
        conn.execute(text("DELETE FROM users WHERE id = :id"), {"id": newest})
        assert conn.execute(text("SELECT count(*) FROM transactions")).scalar() == 2  # cascade still works
        conn.execute(text("INSERT INTO users (email, password_hash, role, balance, is_active, created_at, "
                          "session_key) VALUES ('new@example.com', 'h', 'user', 0, true, CURRENT_TIMESTAMP, 'k')"))
        new_id = conn.execute(text("SELECT id FROM users WHERE email = 'new@example.com'")).scalar()
        assert new_id > newest, "the deleted user's id was handed out again"
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    mine = [d for d in diffs if _tables_of(d) & MY_TABLES]
    assert mine == [], mine
    engine.dispose()


def test_demo_guest_survives_its_design(database_url):
    engine = make_engine(database_url)
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO generations (id, is_demo, status, progress, prompt_ru, prompt_en_given, negative_prompt, "
            "style, size, width, height, variants, quality, seeds, cost, params, image_keys, attempts, "
            "cancel_requested, created_at) VALUES ('g1', true, 'succeeded', 1, 'торт', false, '', 'x', 'square', "
            "512, 512, 1, 'fast', '[1]', 0, '{}', '[]', 0, false, CURRENT_TIMESTAMP)"))
        conn.execute(text("INSERT INTO demo_guests (guest_id, ip, day, generation_id, claim_token, created_at) "
                          "VALUES ('guest', '10.0.0.1', CURRENT_DATE, 'g1', 'tok', CURRENT_TIMESTAMP)"))
        conn.execute(text("DELETE FROM generations WHERE id = 'g1'"))
        row = conn.execute(text("SELECT guest_id, generation_id FROM demo_guests")).one()
    assert tuple(row) == ("guest", None)
    engine.dispose()
