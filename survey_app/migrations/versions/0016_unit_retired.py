"""Units can be retired ("ngừng sử dụng", issue 30 item 2): a unit that data hangs on cannot be deleted, so
it leaves the sample plan, the cards, links and forms but keeps its history; "dùng lại" brings it back.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-15
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.add_column(sa.Column("retired", sa.Boolean(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.drop_column("retired")
