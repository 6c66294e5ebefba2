"""Imported results beside the appraisal: commune results (district rule), last year's table.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "commune_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("index_points", sa.Float(), nullable=True),
        sa.Column("class_code", sa.String(length=16), nullable=True),
        sa.CheckConstraint(
            "index_points IS NOT NULL OR class_code IS NOT NULL", name=op.f("ck_commune_results_some_result")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_commune_results_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_commune_results_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commune_results")),
        sa.UniqueConstraint("unit_id", name=op.f("uq_commune_results_unit_id")),
    )
    with op.batch_alter_table('commune_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commune_results_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('previous_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('index_points', sa.Float(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('class_name', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_previous_results_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_previous_results_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_previous_results')),
    sa.UniqueConstraint('unit_id', name=op.f('uq_previous_results_unit_id'))
    )
    with op.batch_alter_table('previous_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_previous_results_campaign_id'), ['campaign_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('previous_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_previous_results_campaign_id'))
    op.drop_table('previous_results')
    with op.batch_alter_table('commune_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commune_results_campaign_id'))
    op.drop_table('commune_results')
