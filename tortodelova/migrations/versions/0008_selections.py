"""selections for the customer

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06

- `selections`: a link (`/c/{token}`) with 1–12 of the chef's designs and the customer's answer on the row.
- `selection_items`: the designs; both foreign keys cascade (a deleted design leaves every selection, a deleted
  account takes its selections along).
"""
import sqlalchemy as sa
from alembic import op

import tortodelova.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "selections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", tortodelova.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", tortodelova.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("agreed_at", tortodelova.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("chosen_generation_id", sa.String(length=36), nullable=True),
        sa.Column("chosen_index", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("customer_name", sa.String(length=80), nullable=True),
        sa.Column("customer_phone", sa.String(length=40), nullable=True),
        sa.Column("chosen_at", tortodelova.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answer_seen", sa.Boolean(), nullable=False),
        sa.CheckConstraint("chosen_index IS NULL OR chosen_index >= 0",
                           name=op.f("ck_selections_chosen_index_non_negative")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_selections_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selections")),
        sa.UniqueConstraint("token", name=op.f("uq_selections_token")),
    )
    op.create_index("ix_selections_user_created", "selections", ["user_id", "created_at"])
    op.create_table(
        "selection_items",
        sa.Column("selection_id", sa.Integer(), nullable=False),
        sa.Column("generation_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["selection_id"], ["selections.id"],
                                name=op.f("fk_selection_items_selection_id_selections"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["generation_id"], ["generations.id"],
                                name=op.f("fk_selection_items_generation_id_generations"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("selection_id", "generation_id", name=op.f("pk_selection_items")),
    )
    op.create_index("ix_selection_items_generation", "selection_items", ["generation_id"])


def downgrade() -> None:
    op.drop_index("ix_selection_items_generation", table_name="selection_items")
    op.drop_table("selection_items")
    op.drop_index("ix_selections_user_created", table_name="selections")
    op.drop_table("selections")
