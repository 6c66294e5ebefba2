"""SIPAS into PAR (issue 29 item 5): a PAR campaign names the closed SIPAS campaign whose index gives the
points of the sub-criteria its set marks ``from_sipas``.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-12
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("sipas_source_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f("fk_campaigns_sipas_source_id_campaigns"), "campaigns",
                                 ["sipas_source_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_constraint(batch.f("fk_campaigns_sipas_source_id_campaigns"), type_="foreignkey")
        batch.drop_column("sipas_source_id")
