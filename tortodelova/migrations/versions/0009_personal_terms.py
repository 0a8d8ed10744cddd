"""personal terms and the words the glossary lacks

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06

- `personal_terms`: a chef's own terms («Мои термины»), one row per chef: the list and its version.
- `glossary_misses`: lemmas of submitted prompts that no glossary matched and the translation transliterated or could
  not know, with their counts («Слова, которых нет в глоссарии»); no prompt text, no user.
"""
import sqlalchemy as sa
from alembic import op

import tortodelova.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "personal_terms",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", tortodelova.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_personal_terms_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_personal_terms")),
    )
    op.create_table(
        "glossary_misses",
        sa.Column("lemma", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_seen", tortodelova.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen", tortodelova.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("lemma", name=op.f("pk_glossary_misses")),
    )


def downgrade() -> None:
    op.drop_table("glossary_misses")
    op.drop_table("personal_terms")
