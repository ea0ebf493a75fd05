"""Per-account login throttle table; the typed e-mail kept for display.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create login_throttle; add users.email_display, backfilled from the canonical form."""
    op.create_table(
        "login_throttle",
        sa.Column("email_canonical", sa.String(320), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("email_canonical", name="pk_login_throttle"),
    )
    op.create_index("ix_login_throttle_last_failure_at", "login_throttle", ["last_failure_at"])
    # Added nullable, backfilled, then made NOT NULL: existing rows have no typed form,
    # and the canonical one is the best display value available for them.
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email_display", sa.String(320), nullable=True))
    op.execute("UPDATE users SET email_display = email_canonical")
    with op.batch_alter_table("users") as batch:
        batch.alter_column("email_display", existing_type=sa.String(320), nullable=False)


def downgrade() -> None:
    """Drop login_throttle and users.email_display."""
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email_display")
    op.drop_index("ix_login_throttle_last_failure_at", table_name="login_throttle")
    op.drop_table("login_throttle")
