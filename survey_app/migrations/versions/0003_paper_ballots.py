"""Paper ballots: reserved serials, keyed entries, campaign entry settings; audit log append-only.

The audit log becomes append-only in the database itself: triggers refuse
UPDATE and DELETE on audit_log, whatever program tries.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "paper_serials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("printed_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('printed', 'entering', 'conflict', 'done')", name=op.f("ck_paper_serials_status")
        ),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name=op.f("fk_paper_serials_campaign_id_campaigns")),
        sa.ForeignKeyConstraint(
            ["group_id"], ["respondent_groups.id"], name=op.f("fk_paper_serials_group_id_respondent_groups")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_paper_serials_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_serials")),
        sa.UniqueConstraint("campaign_id", "serial", name=op.f("uq_paper_serials_campaign_id_serial")),
    )
    with op.batch_alter_table('paper_serials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_serials_unit_id'), ['unit_id'], unique=False)

    op.create_table('paper_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('serial_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('session_key', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['serial_id'], ['paper_serials.id'], name=op.f('fk_paper_entries_serial_id_paper_serials')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_paper_entries_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_entries')),
    sa.UniqueConstraint('serial_id', 'user_id', name=op.f('uq_paper_entries_serial_id_user_id'))
    )
    with op.batch_alter_table('paper_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_entries_serial_id'), ['serial_id'], unique=False)

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('double_entry', sa.Boolean(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('min_web_seconds', sa.Integer(), server_default='120', nullable=False))
    _append_only_audit(op.get_bind().dialect.name)



def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('min_web_seconds')
        batch_op.drop_column('double_entry')

    with op.batch_alter_table('paper_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_entries_serial_id'))

    op.drop_table('paper_entries')
    with op.batch_alter_table('paper_serials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_serials_unit_id'))

    op.drop_table('paper_serials')


def _append_only_audit(dialect: str) -> None:
    if dialect == "sqlite":
        for verb in ("update", "delete"):
            op.execute(f"CREATE TRIGGER audit_log_no_{verb} BEFORE {verb.upper()} ON audit_log "
                       "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
    else:
        op.execute("CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$")
        op.execute("CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()")
