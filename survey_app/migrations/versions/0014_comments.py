"""Free comments (issue 29 item 2): a ballot's comment about a unit, in its own table beside the answers
(an answer is an option code of 32 characters at most; a comment is up to 2,000), keyed the same way.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "comments",
        sa.Column("ballot_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["ballot_id"], ["ballots.id"], name=op.f("fk_comments_ballot_id_ballots")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_comments_unit_id_units")),
        sa.PrimaryKeyConstraint("ballot_id", "unit_id", "question", name=op.f("pk_comments")),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_comments_unit_id"), "comments", ["unit_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_comments_unit_id"), table_name="comments")
    op.drop_table("comments")
