"""A sealed ballot box: ballots say nothing of who answered or when; drafts are encrypted.

- ``ballots`` loses ``respondent_unit_id``, ``payload_digest`` (a SHA-256 of the answers
  that a draft caught in a backup could be matched against) and ``submitted_on``; its
  ``client_id`` grows to 128 characters (API ids are scoped to campaign and user).
- On SQLite, ``ballots`` and ``answers`` become ``WITHOUT ROWID`` tables: rows are kept in
  the order of their random keys, and no hidden rowid records the order of arrival.
- ``drafts`` gets ``sealed`` (the draft encrypted); its plaintext columns become nullable
  and are emptied as drafts are sealed (``parsurvey db upgrade`` does it at once).
- ``paper_entries`` gets ``client_ref`` (an API sender's ballot id, unique per user).
- ``campaigns`` gets ``cross_district_check``.
- On PostgreSQL, ``ballots.id`` loses the sequence it was created with (ids are random).

The downgrade puts the columns back empty (what was dropped is not recoverable, which is
the point) and removes sealed drafts, which the old schema cannot hold.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    sqlite = _sqlite()
    no_rowid = {"sqlite_with_rowid": False} if sqlite else {}
    with op.batch_alter_table("ballots", recreate="always" if sqlite else "auto", table_kwargs=no_rowid) as batch:
        batch.drop_column("respondent_unit_id")
        batch.drop_column("payload_digest")
        batch.drop_column("submitted_on")
        batch.alter_column("client_id", existing_type=sa.String(length=64), type_=sa.String(length=128),
                           existing_nullable=False)
    if sqlite:
        with op.batch_alter_table("answers", recreate="always", table_kwargs=no_rowid):
            pass
    else:  # ids are random and always given: no sequence may count ballots as they come
        op.execute("ALTER TABLE ballots ALTER COLUMN id DROP DEFAULT")
        op.execute("DROP SEQUENCE IF EXISTS ballots_id_seq")
    with op.batch_alter_table("drafts") as batch:
        batch.add_column(sa.Column("sealed", sa.LargeBinary(), nullable=True))
        for name, kind in (("client_id", sa.String(length=64)), ("data", sa.JSON()), ("started_at", sa.DateTime()),
                           ("updated_at", sa.DateTime())):
            batch.alter_column(name, existing_type=kind, nullable=True)
    with op.batch_alter_table("paper_entries") as batch:
        batch.add_column(sa.Column("client_ref", sa.String(length=160), nullable=True))
        batch.create_unique_constraint(batch.f("uq_paper_entries_user_id_client_ref"), ["user_id", "client_ref"])
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("cross_district_check", sa.Boolean(), server_default="0", nullable=False))


def downgrade() -> None:
    sqlite = _sqlite()
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("cross_district_check")
    with op.batch_alter_table("paper_entries") as batch:
        batch.drop_constraint(batch.f("uq_paper_entries_user_id_client_ref"), type_="unique")
        batch.drop_column("client_ref")
    op.execute("DELETE FROM drafts WHERE sealed IS NOT NULL")
    with op.batch_alter_table("drafts") as batch:
        batch.drop_column("sealed")
        for name, kind in (("client_id", sa.String(length=64)), ("data", sa.JSON()), ("started_at", sa.DateTime()),
                           ("updated_at", sa.DateTime())):
            batch.alter_column(name, existing_type=kind, nullable=False)
    if sqlite:
        with op.batch_alter_table("answers", recreate="always", table_kwargs={"sqlite_with_rowid": True}):
            pass
    with op.batch_alter_table("ballots", recreate="always" if sqlite else "auto",
                              table_kwargs={"sqlite_with_rowid": True} if sqlite else {}) as batch:
        batch.add_column(sa.Column("respondent_unit_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("payload_digest", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("submitted_on", sa.Date(), nullable=True))
        batch.create_foreign_key(batch.f("fk_ballots_respondent_unit_id_units"), "units",
                                 ["respondent_unit_id"], ["id"])
        batch.alter_column("client_id", existing_type=sa.String(length=128), type_=sa.String(length=64),
                           existing_nullable=False)
