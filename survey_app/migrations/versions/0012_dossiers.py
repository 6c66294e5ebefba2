"""Dossiers: the one-stop shop's completed dossiers of a campaign, from which SIPAS respondents are drawn
(issue 29): number, unit, procedure, field, completion date, phone until close, drawn, the invitation made.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dossiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("procedure", sa.String(300), nullable=False),
        sa.Column("field", sa.String(200), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("drawn", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("drawn OR invitation_id IS NULL", name=op.f("ck_dossiers_invitation")),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name=op.f("fk_dossiers_campaign_id_campaigns")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_dossiers_unit_id_units")),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitations.id"],
                                name=op.f("fk_dossiers_invitation_id_invitations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossiers")),
        sa.UniqueConstraint("campaign_id", "number", name=op.f("uq_dossiers_campaign_id_number")),
    )
    with op.batch_alter_table("dossiers") as batch:
        batch.create_index(batch.f("ix_dossiers_campaign_id"), ["campaign_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_index(batch.f("ix_dossiers_campaign_id"))
    op.drop_table("dossiers")
