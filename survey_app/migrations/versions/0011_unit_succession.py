"""Unit succession: which of last year's units became which of a campaign's (kept, renamed, merged,
split, abolished), for the reform of 2025 (two-tier local government, merged provinces and communes).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-10
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_successions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("old_code", sa.String(64), nullable=False),
        sa.Column("old_name", sa.String(200), nullable=False),
        sa.Column("new_code", sa.String(64), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.CheckConstraint("kind IN ('kept', 'renamed', 'merged', 'split', 'abolished')",
                           name=op.f("ck_unit_successions_kind")),
        sa.CheckConstraint("(kind = 'abolished') = (new_code IS NULL)", name=op.f("ck_unit_successions_new_code")),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"],
                                name=op.f("fk_unit_successions_campaign_id_campaigns")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_successions")),
        sa.UniqueConstraint("campaign_id", "old_code", "new_code",
                            name=op.f("uq_unit_successions_campaign_id_old_code_new_code")),
    )
    with op.batch_alter_table("unit_successions") as batch:
        batch.create_index(batch.f("ix_unit_successions_campaign_id"), ["campaign_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("unit_successions") as batch:
        batch.drop_index(batch.f("ix_unit_successions_campaign_id"))
    op.drop_table("unit_successions")
