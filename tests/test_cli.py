"""Each command of ``parsurvey``, through Flask's CLI runner (and the real console script once)."""
from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from questionnaires import DEFAULT_SET_DIR
from survey_app import migrate
from survey_app.extensions import DB_KEY
from survey_app.models import Answer, AuditEntry, Ballot, Campaign, Invitation, User

from . import minimal_set
from .test_validator import FIVE_MISTAKES


def write_set(folder: Path, texts: dict[str, str]) -> Path:
    for rel, text in texts.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text, encoding="utf-8")
    return folder


def test_check_accepts_the_default_set_with_a_summary(runner):
    result = runner.invoke(args=["questionnaires", "check", str(DEFAULT_SET_DIR)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK — ")
    assert "so: 27 TCTP, 28 câu hỏi, 13.5 điểm; huyen: 28 TCTP, 29 câu hỏi, 14 điểm" in result.output
    assert result.output.count("\n") == 1


def test_check_prints_every_error_with_its_line_and_exits_2(runner, tmp_path):
    texts = minimal_set.texts()
    texts["questions/so.yaml"] = FIVE_MISTAKES
    folder = write_set(tmp_path / "bad", texts)
    result = runner.invoke(args=["questionnaires", "check", str(folder)])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert [line.split(": ", 1)[0] for line in lines[:5]] == [
        "questions/so.yaml:4", "questions/so.yaml:10", "questions/so.yaml:17",
        "questions/so.yaml:18", "questions/so.yaml:19"]
    assert lines[5].startswith("5 lỗi trong ")
    assert "OK" not in result.stdout


def test_check_of_a_missing_folder_exits_2(runner, tmp_path):
    result = runner.invoke(args=["questionnaires", "check", str(tmp_path / "nothing")])
    assert result.exit_code == 2
    assert "không tìm thấy thư mục" in result.stderr


def test_table_writes_a_csv_excel_can_open(runner, tmp_path):
    out = tmp_path / "rules.csv"
    result = runner.invoke(args=["questionnaires", "table", "--out", str(out)])
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, so Excel shows Vietnamese correctly"
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert f"Đã ghi {len(rows)} dòng" in result.output
    assert list(rows[0]) == ["level", "question", "field", "criterion", "sub_criterion", "max_points",
                             "group", "weight", "scale", "option", "fraction", "dont_know"]
    h12 = [r for r in rows if r["question"] == "H12" and r["group"] == "doanh_nghiep"]
    assert [(r["option"], r["fraction"], r["dont_know"]) for r in h12] == [
        ("tot", "1.0", "0"),
        ("kha", "0.6", "0"),
        ("trung_binh", "0.2", "0"),
        ("kem", "0.0", "0"),
        ("khong_biet", "", "1"),
    ]
    assert {r["weight"] for r in h12} == {"0.5"} and {r["max_points"] for r in h12} == {"0.25"}


def test_table_of_another_set_to_stdout(runner, tmp_path):
    folder = write_set(tmp_path / "mini", minimal_set.texts())
    result = runner.invoke(args=["questionnaires", "table", str(folder), "--out", "-"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    # Q1: 2 groups, Q2: 2 groups, Q3: 1 group, H1: 1 group; 3 options each.
    assert len(rows) == 1 + (2 + 2 + 1 + 1) * 3
    assert ["so", "Q2", "2", "2.1", "2.1.1", "0.25", "dai_bieu", "0.75", "quality", "kem", "0.0", "0"] in rows


def test_db_upgrade_downgrade_current(sqlite_url, tmp_path):
    from .conftest import make_app

    app = make_app(sqlite_url, tmp_path / "instance")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "current"])
    head = migrate.head_revision()
    assert result.output.startswith(f"hiện tại: base (trống); mới nhất: {head}")
    result = runner.invoke(args=["db", "upgrade", "0001"])
    assert result.exit_code == 0 and "phiên bản 0001" in result.output
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0 and f"phiên bản {head}" in result.output
    assert migrate.current_revision(app.extensions[DB_KEY]) == head
    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0 and "base (trống)" in result.output
    assert migrate.current_revision(app.extensions[DB_KEY]) is None


def count(app, model) -> int:
    with app.extensions[DB_KEY].session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_demo_refuses_an_unmigrated_database(sqlite_url, tmp_path):
    from .conftest import make_app

    app = make_app(sqlite_url, tmp_path / "instance")
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 1 and "parsurvey db upgrade" in result.stderr


def test_demo_twice_says_not_empty_and_changes_nothing(app, runner):
    first = runner.invoke(args=["demo", "--seed", "11"])
    assert first.exit_code == 0, first.output
    assert "admin" in first.output and "/s/" in first.output
    access_file = Path(app.config["DATABASE_URL"].removeprefix("sqlite:///")).with_name("test-access.txt")
    access = access_file.read_text(encoding="utf-8")
    assert access in first.output
    succession = access_file.with_name("test-ke-thua-2026.csv")  # the 2026 campaign's file, to try the copy
    assert f"sắp xếp đơn vị: {succession}" in access
    assert succession.read_text(encoding="utf-8-sig").splitlines()[0] == \
        "Mã đơn vị cũ,Tên đơn vị cũ,Mã đơn vị mới,Tên đơn vị mới,Loại thay đổi"
    before = [count(app, m) for m in (Campaign, User, Invitation, Ballot, Answer, AuditEntry)]
    assert before[3] > 500 and before[4] > 20000

    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    assert (
        "Cơ sở dữ liệu không trống (4 đợt khảo sát, 4 người dùng): không tạo dữ liệu mẫu, không thay đổi gì."
        in second.output
    )
    assert access in second.output, "the logins and links are shown again"
    assert [count(app, m) for m in (Campaign, User, Invitation, Ballot, Answer, AuditEntry)] == before


def test_the_console_script_is_a_flask_group(tmp_path):
    exe = shutil.which("parsurvey", path=str(Path(sys.executable).parent))
    assert exe, "the console script is installed with the package"
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}", "SECRET_KEY": "k", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([exe, "--help"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0
    for command in ("run", "shell", "questionnaires", "db", "demo"):
        assert f"  {command} " in done.stdout, command
    done = subprocess.run([exe, "db", "upgrade"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0 and migrate.head_revision() in done.stdout


def test_a_demo_on_another_database_keeps_its_own_access_file(app, runner, tmp_path):
    """Two demos in one instance folder: each access file sits beside its database and holds its own password."""
    from .conftest import make_app

    assert runner.invoke(args=["demo", "--seed", "11"]).exit_code == 0
    first = Path(app.config["DATABASE_URL"].removeprefix("sqlite:///")).with_name("test-access.txt")
    before = first.read_text(encoding="utf-8")
    other = make_app(f"sqlite:///{tmp_path / 'other.sqlite'}", Path(app.instance_path))
    migrate.upgrade(other.extensions[DB_KEY])
    result = other.test_cli_runner().invoke(args=["demo", "--seed", "12"])
    assert result.exit_code == 0, result.output
    second = tmp_path / "other-access.txt"
    assert first.read_text(encoding="utf-8") == before, "the first demo's file is untouched"
    assert second.read_text(encoding="utf-8") in result.output and str(second) in result.output
    password = lambda text: text.split("mật khẩu: ", 1)[1].split()[0]  # noqa: E731
    assert password(second.read_text(encoding="utf-8")) != password(before)
    assert second.stat().st_mode & 0o777 == 0o600
    other.extensions[DB_KEY].dispose()
