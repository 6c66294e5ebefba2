"""An admin's own walk: the province a campaign is for, campaigns archived from the lists, and
invitations revoked (kept, never deleted: a revoked link opens nothing).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("province", sa.String(200), server_default="", nullable=False))
        batch.add_column(sa.Column("archived", sa.Boolean(), server_default="0", nullable=False))
    with op.batch_alter_table("invitations") as batch:
        batch.add_column(sa.Column("revoked", sa.Boolean(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("invitations") as batch:
        batch.drop_column("revoked")
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("archived")
        batch.drop_column("province")
