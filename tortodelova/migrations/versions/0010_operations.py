"""operations: the request id of a generation's submission

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

- `generations.request_id`: the `X-Request-ID` of the request that submitted the design; the worker binds it to the
  job's log lines, so one design's path is followed across the web process and the worker (issue 24).
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("generations") as batch:
        batch.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("generations") as batch:
        batch.drop_column("request_id")
