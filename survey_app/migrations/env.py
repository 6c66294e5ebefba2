"""Alembic environment: runs on the engine handed over by survey_app.migrate.

On SQLite, ALTER is done by copying tables ("batch" mode); foreign keys are
switched off meanwhile (as SQLite's documentation asks), checked after, and
the connection is discarded.
"""
from alembic import context

from survey_app.models import Base

config = context.config
engine = config.attributes["engine"]
sqlite = engine.dialect.name == "sqlite"

with engine.connect() as connection:
    raw = connection.connection.dbapi_connection
    if sqlite:
        raw.execute("PRAGMA foreign_keys=OFF")  # outside any transaction, where it takes effect
    try:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=sqlite,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left rows breaking foreign keys: {broken[:5]}")
    finally:
        if sqlite:
            # Never hand this connection back to the pool with foreign keys off:
            # new connections get them on from the engine's connect event.
            connection.invalidate()
