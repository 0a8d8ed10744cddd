"""Alembic environment: runs on the connection handed in by `tortodelova.db.migrate`, or on DATABASE_URL."""
from alembic import context

from tortodelova.db_tables import Base

config = context.config
target_metadata = Base.metadata


def run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    from tortodelova.config import get_settings
    from tortodelova.db import make_engine

    engine = make_engine(get_settings().sqlalchemy_url)
    with engine.begin() as conn:
        run(conn)
