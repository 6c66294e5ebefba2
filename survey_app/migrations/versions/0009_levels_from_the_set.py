"""Levels come from the campaign's criteria set: no fixed list of level codes in the schema.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.drop_constraint(op.f("ck_units_level"), type_="check")
        batch.alter_column("level", type_=sa.String(64), existing_type=sa.String(16), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.alter_column("level", type_=sa.String(16), existing_type=sa.String(64), existing_nullable=False)
        batch.create_check_constraint("level", "level IN ('so', 'huyen', 'xa')")
