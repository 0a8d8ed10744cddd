"""Migration 0009 matches the models (personal_terms, glossary_misses) and downgrades cleanly (SQLite, PostgreSQL)."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from tortodelova.db import make_engine, migrate

TABLES = {"personal_terms", "glossary_misses"}


def test_migration_0009_matches_the_models_and_downgrades(database_url):
    from alembic import command
    from alembic.config import Config

    import tortodelova.db_tables as models
    from tortodelova.db import MIGRATIONS_DIR

    engine = make_engine(database_url)
    migrate(engine)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), models.Base.metadata)
        assert TABLES <= set(inspect(conn).get_table_names())
    mine = [d for d in diffs if any(table in repr(d) for table in TABLES)]
    assert mine == [], mine
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005")
    with engine.connect() as conn:
        assert not TABLES & set(inspect(conn).get_table_names())
    engine.dispose()
