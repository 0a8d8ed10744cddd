"""Migration 0005 matches the models: the uploads table and the profile columns of users (SQLite and PostgreSQL)."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from tortodelova.db import make_engine, migrate


def test_migration_0005_matches_the_models(database_url):
    import tortodelova.db_tables as models

    engine = make_engine(database_url)
    migrate(engine)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), models.Base.metadata)
        columns = {c["name"] for c in inspect(conn).get_columns("users")}
        indexes = {i["name"] for i in inspect(conn).get_indexes("uploads")}
    engine.dispose()
    mine = [d for d in diffs if "uploads" in repr(d) or "display_name" in repr(d) or "'contact'" in repr(d)]
    assert mine == [], mine
    assert {"display_name", "contact"} <= columns
    assert "ix_uploads_user_created" in indexes


def test_migration_0005_downgrades_cleanly(database_url):
    from alembic import command
    from alembic.config import Config

    from tortodelova.db import MIGRATIONS_DIR

    engine = make_engine(database_url)
    migrate(engine)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
    with engine.connect() as conn:
        assert "uploads" not in inspect(conn).get_table_names()
        assert "display_name" not in {c["name"] for c in inspect(conn).get_columns("users")}
    engine.dispose()
