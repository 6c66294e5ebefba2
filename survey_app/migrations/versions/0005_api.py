"""The JSON API: API tokens per user, and ballots that arrive through it (channel 'api').

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_ballots_channel'), type_='check')
        batch_op.create_check_constraint(op.f('ck_ballots_channel'), "channel IN ('web', 'qr', 'paper', 'api')")


def downgrade() -> None:
    op.execute("DELETE FROM answers WHERE ballot_id IN (SELECT id FROM ballots WHERE channel = 'api')")
    op.execute("DELETE FROM ballots WHERE channel = 'api'")
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_ballots_channel'), type_='check')
        batch_op.create_check_constraint(op.f('ck_ballots_channel'), "channel IN ('web', 'qr', 'paper')")
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))
    op.drop_table('api_tokens')
