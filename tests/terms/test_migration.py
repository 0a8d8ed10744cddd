"""Migration 0009 matches the models (personal_terms, glossary_misses) and downgrades cleanly (SQLite, PostgreSQL)."""
from __future__ import annotations

from sqlalchemy import inspect

from tests.helpers import downgrade_to, schema_diffs
from tortodelova.db import make_engine, migrate

TABLES = {"personal_terms", "glossary_misses"}


def test_migration_0009_matches_the_models_and_downgrades(database_url):
    engine = make_engine(database_url)
    migrate(engine)
    with engine.connect() as conn:
        assert TABLES <= set(inspect(conn).get_table_names())
    mine = schema_diffs(engine, TABLES)
    assert mine == [], mine
    downgrade_to(engine, "0005")
    with engine.connect() as conn:
        assert not TABLES & set(inspect(conn).get_table_names())
    engine.dispose()
