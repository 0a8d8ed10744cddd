"""baker features: uploads, inscriptions, profile

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

- `uploads`: customers' reference photos (re-encoded, in the owner's space of the image store).
- `users.display_name`, `users.contact`: the baker's name and contact on the customer card and the share page.
The inscription itself needs no schema: migration 0004 added its columns, the plain copies live in `params`.
"""
import sqlalchemy as sa
from alembic import op

import tortodelova.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "uploads",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("created_at", tortodelova.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_uploads_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uploads")),
    )
    op.create_index("ix_uploads_user_created", "uploads", ["user_id", "created_at"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("display_name", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("contact", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("contact")
        batch.drop_column("display_name")
    op.drop_index("ix_uploads_user_created", table_name="uploads")
    op.drop_table("uploads")
