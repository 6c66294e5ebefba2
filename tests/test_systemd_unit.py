"""deploy/parsurvey.service starts: systemd cannot run here, so the test reads the unit as systemd
does, runs its ExecStartPre and ExecStart with its environment, folders and umask (paths moved to
this checkout and a temporary state folder), waits for gunicorn's READY=1 on a notify socket as
``Type=notify`` does, asks ``/healthz``, and stops it as ``KillMode=mixed`` does (SIGTERM to the
main process). ``systemd-analyze verify`` and ``security`` check the unit itself where they exist."""
from __future__ import annotations

import http.client
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from survey_app import migrate

from .servers import REPO, _free_port, _group_alive

UNIT = REPO / "deploy" / "parsurvey.service"
ENV_EXAMPLE = REPO / "deploy" / "env.example"
SECRET = "systemd-unit-test-secret-of-more-than-32-bytes-0123456789"
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def read_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """Sections, keys and every value of a key (systemd keeps repeated keys), comments dropped."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        assert not line.endswith("\\"), "no continuation lines: the test reads one line a setting"
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, sep, value = line.partition("=")
        assert sep and current is not None, f"not a setting: {line}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def read_environment_file(path: Path) -> dict[str, str]:
    """``KEY=value`` lines as systemd's EnvironmentFile= reads them (comments and blank lines skipped)."""
    env = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and line[0] not in "#;":
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip().strip("\"'")
    return env


@pytest.fixture(scope="module")
def unit() -> dict[str, dict[str, list[str]]]:
    return read_unit(UNIT)


def one(unit, key: str, section: str = "Service") -> str:
    values = unit[section].get(key, [])
    assert len(values) == 1, f"{key}= is set {len(values)} times"
    return values[0]


def test_the_unit_runs_gunicorn_as_its_own_user_hardened_after_migrating(unit):
    service = unit["Service"]
    assert one(unit, "Type") == "notify" and one(unit, "NotifyAccess") == "main"
    assert one(unit, "User") == one(unit, "Group") == "parsurvey"
    assert one(unit, "EnvironmentFile") == "/etc/parsurvey/env"
    assert one(unit, "WorkingDirectory") == "/opt/parsurvey"
    assert shlex.split(one(unit, "ExecStartPre"))[1:] == ["db", "upgrade"]
    assert shlex.split(one(unit, "ExecStart"))[1:] == ["--config", "python:survey_app.gunicorn_conf",
                                                      "survey_app:create_app()"]
    environment = dict(word.split("=", 1) for word in shlex.split(one(unit, "Environment")))
    instance = environment["PARSURVEY_INSTANCE"]
    assert one(unit, "ReadWritePaths") == instance == "/var/lib/parsurvey"
    assert one(unit, "StateDirectory") == "parsurvey" and one(unit, "StateDirectoryMode") == "0700"
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes",
                       "ProtectHome": "yes", "PrivateDevices": "yes", "UMask": "0077", "Restart": "on-failure",
                       "KillMode": "mixed", "CapabilityBoundingSet": ""}.items():
        assert one(unit, key) == value, key
    assert service["SystemCallFilter"] == ["@system-service", "~@privileged"]
    assert one(unit, "WantedBy", "Install") == "multi-user.target"


def _mapped(text_: str, tmp_path: Path) -> str:
    """The unit's paths moved here: the checkout, this venv, a state folder, the env file, a private /tmp."""
    moved = {"/opt/parsurvey/.venv/bin/": f"{Path(sys.executable).parent}/", "/opt/parsurvey": str(REPO),
             "/var/lib/parsurvey": str(tmp_path / "state"), "/etc/parsurvey/env": str(tmp_path / "env"),
             "/tmp/": f"{tmp_path / 'private-tmp'}/"}
    return re.sub("|".join(map(re.escape, moved)), lambda m: moved[m.group(0)], text_)  # one pass, longest first


def _service_environment(unit, tmp_path: Path) -> dict[str, str]:
    """What systemd hands the service: its own few variables, then Environment=, then EnvironmentFile=."""
    env = {"PATH": SYSTEMD_PATH, "LANG": "C.UTF-8", "HOME": str(tmp_path / "state"), "USER": "parsurvey",
           "LOGNAME": "parsurvey"}
    env.update(word.split("=", 1) for word in shlex.split(_mapped(one(unit, "Environment"), tmp_path)))
    env.update(read_environment_file(Path(_mapped(one(unit, "EnvironmentFile"), tmp_path))))
    return env


def _write_env_file(tmp_path: Path, port: int) -> None:
    """deploy/env.example, filled in as the docs say (a key, this test's port, two workers)."""
    text_ = ENV_EXAMPLE.read_text(encoding="utf-8")
    assert "\nSECRET_KEY=\n" in text_ and "\nPORT=8000\n" in text_
    text_ = text_.replace("\nSECRET_KEY=\n", f"\nSECRET_KEY={SECRET}\n").replace("\nPORT=8000\n", f"\nPORT={port}\n")
    (tmp_path / "env").write_text(text_ + "GUNICORN_WORKERS=2\n", encoding="utf-8")
    (tmp_path / "env").chmod(0o600)


def _as_service(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """deploy/parsurvey-as-service, the docs' way to run a command on the service's database, with its
    places moved here (the env file says where the instance folder is)."""
    env_file = tmp_path / "env-by-hand"
    env_file.write_text((tmp_path / "env").read_text() + f"PARSURVEY_INSTANCE={tmp_path / 'state'}\n")
    env = {"PATH": SYSTEMD_PATH, "PARSURVEY_HOME": str(REPO), "PARSURVEY_VENV": str(Path(sys.executable).parent.parent),
           "PARSURVEY_ENV_FILE": str(env_file), "PARSURVEY_USER": pwd.getpwuid(os.geteuid()).pw_name}
    return subprocess.run([REPO / "deploy" / "parsurvey-as-service", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def _wait_ready(notify: socket.socket, proc: subprocess.Popen) -> str:
    notify.settimeout(90)
    while True:
        try:
            message = notify.recv(4096).decode()
        except TimeoutError:
            raise AssertionError(f"no READY=1 from gunicorn; exit code {proc.poll()}") from None
        if "READY=1" in message.split("\n"):
            return message


def test_the_unit_starts_migrates_answers_healthz_and_stops(unit, tmp_path):
    port = _free_port()
    _write_env_file(tmp_path, port)
    state = tmp_path / "state"
    state.mkdir(mode=0o700)  # StateDirectory=, StateDirectoryMode=0700
    (tmp_path / "private-tmp").mkdir(mode=0o1777)  # PrivateTmp=
    env = _service_environment(unit, tmp_path)
    cwd = _mapped(one(unit, "WorkingDirectory"), tmp_path)
    umask = int(one(unit, "UMask"), 8)

    pre = subprocess.run(shlex.split(_mapped(one(unit, "ExecStartPre"), tmp_path)), cwd=cwd, env=env, umask=umask,
                         capture_output=True, text=True, timeout=180)
    assert pre.returncode == 0, pre.stdout + pre.stderr
    database = state / "parsurvey.sqlite"  # PARSURVEY_INSTANCE's default database
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == migrate.head_revision()
    by_hand = _as_service(tmp_path, "db", "current")
    assert by_hand.returncode == 0 and by_hand.stdout.startswith(f"hiện tại: {migrate.head_revision()};"), by_hand

    notify_path = tmp_path / "notify.sock"
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(notify_path))
    log = (tmp_path / "gunicorn.log").open("wb")
    proc = subprocess.Popen(shlex.split(_mapped(one(unit, "ExecStart"), tmp_path)), cwd=cwd,
                            env={**env, "NOTIFY_SOCKET": str(notify_path)}, umask=umask, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_ready(notify, proc)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        body = response.read()
        conn.close()
        assert response.status == 200, body
        assert json.loads(body)["database"] == "ok"
        proc.send_signal(signal.SIGTERM)  # KillMode=mixed: SIGTERM to the main process, gunicorn's master
        assert proc.wait(timeout=int(one(unit, "TimeoutStopSec"))) == 0
    finally:
        if proc.poll() is None or _group_alive(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        notify.close()
        log.close()
    assert "Traceback" not in (tmp_path / "gunicorn.log").read_text(errors="replace")
    written = [p for p in state.rglob("*") if p.is_file()]
    assert database in written and state / "secret_key" not in written  # the key comes from the env file
    assert {oct(p.stat().st_mode & 0o777) for p in written} == {"0o600"}, "UMask=0077: nothing for others"


def _systemd_analyze(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["systemd-analyze", *args], capture_output=True, text=True, timeout=120)


def test_systemd_analyze_finds_nothing_wrong_with_the_unit(tmp_path):
    """``verify`` (every setting known, the commands executable) and ``security`` (its exposure score)
    on the unit with its paths moved here; both need only the systemd package, not a running systemd."""
    mapped = tmp_path / "parsurvey.service"
    mapped.write_text(_mapped(UNIT.read_text(encoding="utf-8"), tmp_path), encoding="utf-8")
    (tmp_path / "env").write_text(f"SECRET_KEY={SECRET}\n")
    assert read_unit(mapped)["Service"]["ExecStart"][0].startswith(str(Path(sys.executable).parent))
    if shutil.which("systemd-analyze") is None:  # not installed: the unit was still read and run above
        return
    verified = _systemd_analyze("verify", str(mapped))
    assert verified.returncode == 0, verified.stderr
    assert "parsurvey.service:" not in verified.stderr, verified.stderr  # no unknown key, no bad value
    security = _systemd_analyze("security", "--offline=yes", str(mapped))
    exposure = re.search(r"Overall exposure level for parsurvey\.service: ([0-9.]+)", security.stdout + security.stderr)
    assert exposure, security.stdout + security.stderr
    assert float(exposure.group(1)) <= 2.0, security.stdout
