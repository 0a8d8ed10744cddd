"""Migration 0008 matches the models (tables, keys, indexes) and downgrades cleanly; SQLite and PostgreSQL."""
from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from tortodelova.db import MIGRATIONS_DIR, make_engine, migrate


def test_migration_0008_matches_the_models(database_url):
    import tortodelova.db_tables as models

    engine = make_engine(database_url)
    migrate(engine)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), models.Base.metadata)
        keys = {(fk["referred_table"], fk["options"].get("ondelete")) for fk in
                inspect(conn).get_foreign_keys("selection_items")}
    engine.dispose()
    mine = [d for d in diffs if "selection" in repr(d)]
    assert mine == [], mine
    assert {k for k, _ in keys} == {"selections", "generations"}
    assert {(o or "").upper() for _, o in keys} == {"CASCADE"}


def test_migration_0008_downgrades_cleanly(database_url):
    engine = make_engine(database_url)
    migrate(engine)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008-1")
    with engine.connect() as conn:
        assert not {"selections", "selection_items"} & set(inspect(conn).get_table_names())
    engine.dispose()
    migrate(engine)  # and up again
    engine.dispose()
