"""security: never-reused user ids, per-user session key, demo guests outlive designs

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

- `users.id` AUTOINCREMENT on SQLite (a deleted user's id went to the next registrant, and with it the old tokens);
  PostgreSQL sequences never reuse values already.
- `users.session_key`: a random key every token carries; replacing it ends all sessions of the user.
- `demo_guests.generation_id` ON DELETE SET NULL (was CASCADE): deleting the demo design no longer frees the visitor's
  free demo.

On SQLite the two tables are rebuilt; `tortodelova.db.migrate` runs migrations with foreign keys off (SQLite would
otherwise cascade the DROP of the old `users` table into every ledger row) and checks them afterwards.
"""
import sqlalchemy as sa
from alembic import op

import tortodelova.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

USER_COLUMNS = "id, email, password_hash, role, balance, is_active, created_at"
GUEST_COLUMNS = "id, guest_id, ip, day, generation_id, claim_token, claimed_by, claimed_at, created_at"


def _users_table(name: str, *, autoincrement: bool):
    return op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("balance", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", tortodelova.db.UTCDateTime(timezone=True), nullable=False),
        *([sa.Column("session_key", sa.String(length=32), nullable=False)] if autoincrement else []),
        sa.CheckConstraint("role IN ('user', 'admin')", name=op.f("ck_users_role_valid")),
        sa.CheckConstraint("balance >= 0", name=op.f("ck_users_balance_non_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sqlite_autoincrement=autoincrement,
    )


def _guests_table(name: str, *, set_null: bool):
    return op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guest_id", sa.String(length=64), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("generation_id", sa.String(length=36), nullable=set_null),
        sa.Column("claim_token", sa.String(length=64), nullable=False),
        sa.Column("claimed_by", sa.Integer(), nullable=True),
        sa.Column("claimed_at", tortodelova.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", tortodelova.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["claimed_by"], ["users.id"], name=op.f("fk_demo_guests_claimed_by_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["generation_id"], ["generations.id"],
                                name=op.f("fk_demo_guests_generation_id_generations"),
                                ondelete="SET NULL" if set_null else "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demo_guests")),
        sa.UniqueConstraint("claim_token", name=op.f("uq_demo_guests_claim_token")),
        sa.UniqueConstraint("guest_id", name=op.f("uq_demo_guests_guest_id")),
        sa.UniqueConstraint("ip", "day", name="uq_demo_guests_ip_day"),
    )


def _rebuild_sqlite(*, forward: bool) -> None:
    op.drop_index("uq_users_email_lower", table_name="users")
    _users_table("_users_new", autoincrement=forward)
    if forward:
        op.execute(f"INSERT INTO _users_new ({USER_COLUMNS}, session_key) "
                   f"SELECT {USER_COLUMNS}, lower(hex(randomblob(16))) FROM users")
    else:
        op.execute(f"INSERT INTO _users_new ({USER_COLUMNS}) SELECT {USER_COLUMNS} FROM users")
    op.drop_table("users")
    op.rename_table("_users_new", "users")
    op.create_index("uq_users_email_lower", "users", [sa.text("lower(email)")], unique=True)

    _guests_table("_demo_guests_new", set_null=forward)
    where = "" if forward else " WHERE generation_id IS NOT NULL"
    op.execute(f"INSERT INTO _demo_guests_new ({GUEST_COLUMNS}) SELECT {GUEST_COLUMNS} FROM demo_guests{where}")
    op.drop_table("demo_guests")
    op.rename_table("_demo_guests_new", "demo_guests")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(forward=True)
        return
    # A volatile default is evaluated per existing row: every user gets their own key; new rows get one from Python.
    op.add_column("users", sa.Column("session_key", sa.String(length=32), nullable=False,
                                     server_default=sa.text("md5(random()::text || clock_timestamp()::text)")))
    op.alter_column("users", "session_key", server_default=None)
    op.drop_constraint("fk_demo_guests_generation_id_generations", "demo_guests", type_="foreignkey")
    op.alter_column("demo_guests", "generation_id", existing_type=sa.String(length=36), nullable=True)
    op.create_foreign_key("fk_demo_guests_generation_id_generations", "demo_guests", "generations",
                          ["generation_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(forward=False)
        return
    op.drop_constraint("fk_demo_guests_generation_id_generations", "demo_guests", type_="foreignkey")
    op.execute("DELETE FROM demo_guests WHERE generation_id IS NULL")
    op.alter_column("demo_guests", "generation_id", existing_type=sa.String(length=36), nullable=False)
    op.create_foreign_key("fk_demo_guests_generation_id_generations", "demo_guests", "generations",
                          ["generation_id"], ["id"], ondelete="CASCADE")
    op.drop_column("users", "session_key")
