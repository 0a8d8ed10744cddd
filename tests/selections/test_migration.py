"""Migration 0008 matches the models (tables, keys, indexes) and downgrades cleanly; SQLite and PostgreSQL."""
from __future__ import annotations

from sqlalchemy import inspect

from tests.helpers import downgrade_to, schema_diffs
from tortodelova.db import make_engine, migrate


def test_migration_0008_matches_the_models(database_url):
    engine = make_engine(database_url)
    migrate(engine)
    mine = schema_diffs(engine, ["selection"])
    with engine.connect() as conn:
        keys = {(fk["referred_table"], fk["options"].get("ondelete")) for fk in
                inspect(conn).get_foreign_keys("selection_items")}
    engine.dispose()
    assert mine == [], mine
    assert {k for k, _ in keys} == {"selections", "generations"}
    assert {(o or "").upper() for _, o in keys} == {"CASCADE"}


def test_migration_0008_downgrades_cleanly(database_url):
    engine = make_engine(database_url)
    migrate(engine)
    downgrade_to(engine, "0008-1")
    with engine.connect() as conn:
        assert not {"selections", "selection_items"} & set(inspect(conn).get_table_names())
    engine.dispose()
    migrate(engine)  # and up again
    engine.dispose()
