"""The replay gate on candidates that bring a schema migration.

The deploy step runs the candidate's migrations on its copy of the baseline's data, and the
rollback check starts the baseline again on that migrated database. An additive migration
(the expand step of expand/contract) must pass both. One the previous version cannot live
with must fail on the rollback, even though the candidate itself logs everyone in.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gates._replay import Clone

pytestmark = [pytest.mark.slow, pytest.mark.replay_bars, pytest.mark.timeout(600)]

VERSIONS = "authsvc/migrations/versions"


def batch(table: str, operation: str) -> str:
    """One batch-mode alteration of ``table`` (SQLite rebuilds the table for it)."""
    return f'    with op.batch_alter_table("{table}") as batch:\n        {operation}\n'


def migration(title: str, upgrade: str, downgrade: str) -> str:
    """An Alembic revision 0003 on top of 0002 with the given function bodies."""
    return f'''"""{title}

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
{upgrade}

def downgrade() -> None:
{downgrade}'''


def add_revision(clone: Clone, name: str, text: str) -> None:
    (clone.path / VERSIONS / name).write_text(text, encoding="utf-8")
    clone.add_and_commit(f"{VERSIONS}/{name}", f"migration {name}")


CHANNEL = 'sa.Column("channel", sa.String(16), nullable=False'


def test_an_additive_migration_passes_deploy_and_rollback(clone: Clone, replay_cache: Path) -> None:
    """A nullable column nothing reads yet: the baseline serves on the newer schema."""
    add_revision(
        clone,
        "0003_last_login_at.py",
        migration(
            "Add users.last_login_at (nullable).",
            batch("users", 'batch.add_column(sa.Column("last_login_at", sa.DateTime()))'),
            batch("users", 'batch.drop_column("last_login_at")'),
        ),
    )
    outcome = clone.replay(replay_cache)
    assert outcome.code == 0, outcome.summary
    assert outcome.result["metrics"]["regressions"] == 0


def test_a_required_column_the_baseline_cannot_fill_fails_the_rollback(
    clone: Clone, replay_cache: Path
) -> None:
    """Contract before expand: a NOT NULL column only the candidate fills.

    The candidate fills it through a Python-side default in its model; the previous version
    does not know the column, so its session INSERT fails once it is rolled back to.
    """
    add_revision(
        clone,
        "0003_session_channel.py",
        migration(
            "Add sessions.channel, required.",
            # Existing rows get "web"; then the server default goes, as the model has none.
            batch("sessions", f"batch.add_column({CHANNEL}, server_default='web'))")
            + batch(
                "sessions",
                'batch.alter_column("channel", existing_type=sa.String(16), server_default=None)',
            ),
            batch("sessions", 'batch.drop_column("channel")'),
        ),
    )
    clone.patch(
        "authsvc/store/models.py",
        '    Column("revoked_at", UTCDateTime, nullable=True),',
        '    Column("revoked_at", UTCDateTime, nullable=True),\n'
        '    Column("channel", String(16), nullable=False, default="web"),',
        "models: sessions.channel",
    )
    outcome = clone.replay(replay_cache)
    assert outcome.code == 1, outcome.summary
    assert outcome.result["metrics"]["regressions"] == 0  # the candidate itself works
    assert "rollback" in outcome.summary, outcome.summary
