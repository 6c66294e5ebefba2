"""Dossiers say who applied (issue 29 item 3): a citizen or an organisation, so that each SIPAS group's
sample is drawn from its own kind of dossier (Người dân from citizens', Tổ chức, doanh nghiệp from
organisations'). Dossiers held before are citizens'.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-14
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("organisation", sa.Boolean(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_column("organisation")
