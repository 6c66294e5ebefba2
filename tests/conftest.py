"""Fixtures in the style of Flask's tutorial: ``app``, ``client``, ``runner``; plus
``pg_url`` (a fresh database in a throwaway PostgreSQL cluster), ``demo_app``
(the demo province, built once per session and copied per test), ``live_server``
and ``browser`` (Debian's Chromium through Playwright)."""
from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from survey_app import create_app, migrate
from survey_app.extensions import DB_KEY

from .pgcluster import PgCluster

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Tests run on both databases take these parameters; ``pytest -m "not postgres"`` runs without PostgreSQL.
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
PG_FIXTURES = {"pg_url", "pg_cluster"}
# The demo province's two campaigns: last year's, closed (its results unsealed), and this year's, collecting.
LAST, CURRENT = 1, 2


def pytest_collection_modifyitems(items):
    """A test that asks for the PostgreSQL cluster is a ``postgres`` test even if its author forgot the mark."""
    for item in items:
        if PG_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)


# The suite's SECRET_KEY, long enough for a server outside TESTING: the demo province's ballot boxes are made under
# it, and a server on a copy of the demo must hold it (a box refuses ballots under another key).
TEST_SECRET = "test-secret-of-the-suite-more-than-32-bytes-5b0e"


def make_app(database_url: str, instance: Path, **extra):
    config = {"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET,
              "INSTANCE_PATH": str(instance), **extra}
    return create_app(config)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'test.sqlite'}"


@pytest.fixture
def app(sqlite_url, tmp_path):
    """An app on a migrated, empty SQLite database of its own."""
    app = make_app(sqlite_url, tmp_path / "instance")
    migrate.upgrade(app.extensions[DB_KEY])
    yield app
    app.extensions[DB_KEY].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def pg_cluster():
    cluster = PgCluster()
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster):
    """A fresh, empty PostgreSQL database for one test."""
    url = pg_cluster.create_database()
    yield url
    pg_cluster.drop_database(url)


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """A SQLite file holding the demo province, built once per test session."""
    folder = tmp_path_factory.mktemp("demo")
    path = folder / "demo.sqlite"
    app = make_app(f"sqlite:///{path}", folder / "instance")
    migrate.upgrade(app.extensions[DB_KEY])
    result = app.test_cli_runner().invoke(args=["demo", "--seed", "7"])
    assert result.exit_code == 0, result.output
    app.extensions[DB_KEY].dispose()
    return path


@pytest.fixture
def demo_app(demo_db, tmp_path):
    """An app on a private copy of the demo database (tests may change it)."""
    copy = tmp_path / "demo.sqlite"
    shutil.copy(demo_db, copy)
    app = make_app(f"sqlite:///{copy}", tmp_path / "instance")
    yield app
    app.extensions[DB_KEY].dispose()


def _signed_in(app, role: str):
    from survey_app.services.users import create_user

    from .test_auth import PASSWORD, login

    with app.extensions[DB_KEY].transaction() as s:
        create_user(s, "qt", PASSWORD, role, actor="test")
    client = app.test_client()
    login(client, "qt")
    return client


@pytest.fixture
def admin(app):
    """A test client signed in as an admin ``qt`` of an empty database."""
    return _signed_in(app, "admin")


@pytest.fixture
def demo_admin(demo_app):
    """A test client signed in as an admin ``qt`` of the demo province."""
    return _signed_in(demo_app, "admin")


@pytest.fixture
def site(demo_app):
    """The demo province with an admin ``qt``, an analyst ``pt`` and a staff member ``nl`` keying for Ba Bể
    (all with the tests' ``PASSWORD``)."""
    from survey_app.services.users import create_user

    from .test_auth import PASSWORD

    with demo_app.extensions[DB_KEY].transaction() as s:
        create_user(s, "qt", PASSWORD, "admin", actor="t")
        create_user(s, "pt", PASSWORD, "analyst", actor="t")
        create_user(s, "nl", PASSWORD, "staff", unit_codes=("ba_be",), actor="t")
    return demo_app


@pytest.fixture
def live_server(demo_app):
    """The demo app served on a free loopback port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, demo_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} not found: run 'make test', which installs Debian's chromium package")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def set_dir(tmp_path):
    """The minimal criteria set with a five-level scale, written to a folder (for the commands)."""
    from . import minimal_set
    from .test_cli import write_set

    texts = minimal_set.texts()
    texts["set.yaml"] = texts["set.yaml"].replace(
        "      - {code: kem, label: Kém, fraction: 0}",
        "      - {code: kha, label: Khá, fraction: 0.6}\n      - {code: trung_binh, label: Trung bình, fraction: 0.2}\n"
        "      - {code: kem, label: Kém, fraction: 0}")
    return write_set(tmp_path / "set", texts)


class Inbox(list):
    """What the local SMTP server received; ``on_message`` (optional) is called with each message first."""

    on_message = None


@pytest.fixture
def smtp(monkeypatch):
    """A local SMTP server collecting what it is sent (an :class:`Inbox`); the app configured to use it."""
    import socket

    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = Inbox()

    class Collect(Message):
        def handle_message(self, message):
            if received.on_message is not None:
                received.on_message(message)
            received.append(message)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(port))
    monkeypatch.setenv("SMTP_STARTTLS", "0")
    yield received
    controller.stop()
