"""Anonymous ballots, drafts for save-and-resume, hashed QR short codes.

A ballot no longer names its invitation nor the time it was started or sent
(only its day); an invitation keeps ``opened`` and ``used`` flags instead.
New ballots get random 63-bit ids (BIGINT on PostgreSQL) and answers are keyed
by (ballot, unit, question), so no key records the order of arrival.
Links become derivable again (``token_salt``, see survey_app/invitations.py).
Existing data is carried over: an invitation that had a ballot becomes used,
``submitted_at`` becomes ``submitted_on``, short codes are hashed. The
downgrade cannot restore the links between ballots and invitations, nor the
short codes in clear (that is the point).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""
import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table(
        "drafts",
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"], ["invitations.id"], name=op.f("fk_drafts_invitation_id_invitations")
        ),
        sa.PrimaryKeyConstraint("invitation_id", name=op.f("pk_drafts")),
    )
    with op.batch_alter_table("invitations") as batch_op:
        batch_op.add_column(sa.Column("short_code_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("token_salt", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("opened", sa.Boolean(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("used", sa.Boolean(), server_default="0", nullable=False))
    bind.execute(sa.text(
        "UPDATE invitations SET used = :yes, opened = :yes "
        "WHERE id IN (SELECT invitation_id FROM ballots WHERE invitation_id IS NOT NULL)"), {"yes": True})
    for inv_id, code in bind.execute(
        sa.text("SELECT id, short_code FROM invitations WHERE short_code IS NOT NULL")
    ).all():
        digest = hashlib.sha256(code.strip().upper().encode()).hexdigest()
        bind.execute(sa.text("UPDATE invitations SET short_code_hash = :h WHERE id = :i"), {"h": digest, "i": inv_id})
    with op.batch_alter_table("invitations") as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_invitations_campaign_id_short_code"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_invitations_short_code_hash"), ["short_code_hash"])
        batch_op.drop_column("short_code")

    with op.batch_alter_table("ballots") as batch_op:
        batch_op.add_column(sa.Column("submitted_on", sa.Date(), nullable=True))
    bind.execute(sa.text("UPDATE ballots SET submitted_on = CAST(submitted_at AS DATE)")
                 if bind.dialect.name != "sqlite" else sa.text("UPDATE ballots SET submitted_on = date(submitted_at)"))
    with op.batch_alter_table("ballots") as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_ballots_invitation_id"), type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_ballots_invitation_id_invitations"), type_="foreignkey")
        batch_op.drop_column("submitted_at")
        batch_op.drop_column("started_at")
        batch_op.drop_column("invitation_id")
    if bind.dialect.name != "sqlite":
        op.alter_column("ballots", "id", type_=sa.BigInteger(), existing_nullable=False)
    with op.batch_alter_table("answers") as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_answers_ballot_id_unit_id_question"), type_="unique")
        batch_op.drop_constraint(batch_op.f("pk_answers"), type_="primary")
        batch_op.drop_column("id")
        if bind.dialect.name != "sqlite":
            batch_op.alter_column("ballot_id", type_=sa.BigInteger(), existing_nullable=False)
        batch_op.create_primary_key(batch_op.f("pk_answers"), ["ballot_id", "unit_id", "question"])


def downgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("answers") as batch_op:
        batch_op.drop_constraint(batch_op.f("pk_answers"), type_="primary")
    if bind.dialect.name == "sqlite":
        with op.batch_alter_table("answers", recreate="always") as batch_op:
            batch_op.add_column(sa.Column("id", sa.Integer(), nullable=True))
    else:
        op.add_column("answers", sa.Column("id", sa.Integer(), sa.Identity(), nullable=False))
    with op.batch_alter_table("answers") as batch_op:
        batch_op.create_primary_key(batch_op.f("pk_answers"), ["id"])
        batch_op.create_unique_constraint(
            batch_op.f("uq_answers_ballot_id_unit_id_question"), ["ballot_id", "unit_id", "question"]
        )
    with op.batch_alter_table("invitations") as batch_op:
        batch_op.add_column(sa.Column("short_code", sa.String(length=16), nullable=True))
        batch_op.drop_constraint(batch_op.f("uq_invitations_short_code_hash"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_invitations_campaign_id_short_code"), ["campaign_id", "short_code"]
        )
        batch_op.drop_column("used")
        batch_op.drop_column("opened")
        batch_op.drop_column("token_salt")
        batch_op.drop_column("short_code_hash")

    with op.batch_alter_table("ballots") as batch_op:
        batch_op.add_column(sa.Column("invitation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("started_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("submitted_at", sa.DateTime(), nullable=True))
    op.get_bind().execute(sa.text("UPDATE ballots SET submitted_at = COALESCE(submitted_on, CURRENT_DATE)"))
    with op.batch_alter_table("ballots") as batch_op:
        batch_op.alter_column("submitted_at", existing_type=sa.DateTime(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_ballots_invitation_id_invitations"), "invitations", ["invitation_id"], ["id"]
        )
        batch_op.create_unique_constraint(batch_op.f("uq_ballots_invitation_id"), ["invitation_id"])
        batch_op.drop_column("submitted_on")

    op.drop_table("drafts")
