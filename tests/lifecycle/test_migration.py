"""Migration 0007 matches the models (SQLite and PostgreSQL), keeps existing accounts' bonus, and goes back."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from tortodelova.db import make_engine, migrate

MINE = ("account_tokens", "audit_events", "email_verified_at", "welcome_credited_at", "deleted_at")


def test_migration_0007_matches_the_models_and_downgrades(database_url):
    from alembic import command
    from alembic.config import Config

    import tortodelova.db_tables as models
    from tortodelova.db import MIGRATIONS_DIR

    engine = make_engine(database_url)
    migrate(engine)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), models.Base.metadata)
        columns = {c["name"] for c in inspect(conn).get_columns("users")}
    assert [d for d in diffs if any(name in repr(d) for name in MINE)] == []
    assert {"email_verified_at", "welcome_credited_at", "deleted_at"} <= columns
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005")
    with engine.connect() as conn:
        assert not {"account_tokens", "audit_events"} & set(inspect(conn).get_table_names())
        assert "deleted_at" not in {c["name"] for c in inspect(conn).get_columns("users")}
    engine.dispose()
