"""generation contract: soft-deleted generations keep their ledger link; v2 request fields

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

import tortodelova.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("generations") as batch:
        batch.add_column(sa.Column("negative_prompt_en", sa.Text(), nullable=True))
        batch.add_column(sa.Column("inscription_explicit", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("inscription_options", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("init_upload_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("deleted_at", tortodelova.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("generations") as batch:
        for column in ("deleted_at", "init_upload_id", "inscription_options", "inscription_explicit",
                       "negative_prompt_en"):
            batch.drop_column(column)
