"""account lifecycle: confirmed addresses, one-time links, the admin's audit log, deleted accounts

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-06

- `users.email_verified_at`: set by the confirmation letter's link; existing accounts start unconfirmed.
- `users.welcome_credited_at`: the welcome bonus was credited (existing accounts got it at registration).
- `users.deleted_at`: the owner deleted the account; the row stays anonymised so the ledger still adds up.
- `account_tokens`: password-reset and confirmation links (only the SHA-256 of the token).
- `audit_events`: reset links handed over by an admin.
"""
import sqlalchemy as sa
from alembic import op

import tortodelova.db

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email_verified_at", tortodelova.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("welcome_credited_at", tortodelova.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("deleted_at", tortodelova.db.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE users SET welcome_credited_at = created_at")
    op.create_table(
        "account_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("created_at", tortodelova.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", tortodelova.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", tortodelova.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.CheckConstraint("purpose IN ('reset', 'confirm')", name=op.f("ck_account_tokens_purpose_valid")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_account_tokens_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_tokens_token_hash")),
    )
    op.create_index("ix_account_tokens_user_purpose", "account_tokens", ["user_id", "purpose"])
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_user_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("created_at", tortodelova.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["target_user_id"], ["users.id"], name=op.f("fk_audit_events_target_user_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index("ix_audit_events_created", "audit_events", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_created", table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_index("ix_account_tokens_user_purpose", table_name="account_tokens")
    op.drop_table("account_tokens")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("deleted_at")
        batch.drop_column("welcome_credited_at")
        batch.drop_column("email_verified_at")
