"""The app factory and the pages it serves."""
from __future__ import annotations

from survey_app import create_app
from survey_app.extensions import DB_KEY

from .conftest import LAST

STRONG = "app-test-secret-of-more-than-32-bytes-7f3a9c"


def test_factory_reads_test_config_and_opens_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'never.sqlite'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "s"})
    assert app.testing and app.config["SECRET_KEY"] == "s"
    assert app.extensions[DB_KEY].url == url
    assert not (tmp_path / "never.sqlite").exists(), "the factory creates no database or table"
    assert not create_app({"DATABASE_URL": url, "SECRET_KEY": STRONG}).testing


def test_factory_uses_postgres_urls_with_psycopg3(tmp_path):
    app = create_app({"DATABASE_URL": "postgresql://u@127.0.0.1/x", "SECRET_KEY": STRONG})
    assert app.extensions[DB_KEY].url == "postgresql+psycopg://u@127.0.0.1/x"


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr("survey_app.config.Config.SECRET_KEY", None)
    from survey_app import _instance_secret_key

    first = _instance_secret_key(tmp_path / "inst")
    assert len(first) == 64 and _instance_secret_key(tmp_path / "inst") == first
    assert oct((tmp_path / "inst" / "secret_key").stat().st_mode)[-3:] == "600"


def test_home_page_of_an_empty_database(client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="vi">' in html and "Hiện không có đợt khảo sát nào đang mở" in html
    assert "Tạo tài khoản quản trị đầu tiên" in html, "a new instance offers its first-admin page (on loopback)"


def test_home_page_shows_the_open_campaign_only(demo_app):
    html = demo_app.test_client().get("/").get_data(as_text=True)
    assert "Điều tra XHH Chỉ số CCHC năm 2024 (dữ liệu mẫu, đang thu phiếu)" in html
    assert "CCHC năm 2023" not in html, "a closed campaign is not on the public home"
    assert "Tạo tài khoản quản trị đầu tiên" not in html, "accounts exist: no setup page"
    assert "19 sở, ban, ngành · 8 huyện, thành phố" in html
    for group in ("Đại biểu HĐND tỉnh", "Người dân", "Doanh nghiệp", "Lãnh đạo cấp xã"):
        assert f'<th scope="row">{group}</th>' in html
    assert len(html.encode()) < 30_000, "pages stay light for a cheap phone"
    assert "<script" not in html and "style=" not in html


def test_progress_counts_each_cell_at_most_its_target(demo_app):

    from survey_app.models import Campaign
    from survey_app.services.campaigns import campaign_progress

    with demo_app.extensions[DB_KEY].session() as s:
        progress = campaign_progress(s, s.get(Campaign, LAST))
    by_code = {g.code: g for g in progress.groups}
    # 8 districts x 7 delegates planned; the demo answers about 86% of them.
    assert by_code["hdnd_huyen"].planned == 56
    assert 0 < by_code["hdnd_huyen"].covered <= by_code["hdnd_huyen"].ballots <= 56
    assert all(0 <= g.percent <= 100 for g in progress.groups)
    assert progress.units == {"so": 19, "huyen": 8, "xa": 29}


def test_healthz_and_static(client):
    health = client.get("/healthz").get_json()
    assert health["status"] == "ok" and health["database"] == "ok" and health["disk"]["status"] == "ok", health
    css = client.get("/static/app.css")
    assert css.status_code == 200 and b"font-family" in css.data
    assert client.get("/nope").status_code == 404


def test_one_stylesheet_cached_for_a_year_and_versioned_by_content(client):
    import re as _re

    html = client.get("/").get_data(as_text=True)
    links = _re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert len(links) == 1 and _re.fullmatch(r"/static/app\.css\?v=[0-9a-f]{10}", links[0])
    css = client.get(links[0])
    assert css.status_code == 200 and css.cache_control.max_age == 365 * 24 * 3600


def test_request_logs_do_not_keep_respondent_tokens(app, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logging.getLogger("werkzeug").info(
            '127.0.0.1 - - "%s" %s %s', "GET /s/AbC123-secret_token/p/2 HTTP/1.1", "200", "-"
        )
    assert "AbC123-secret_token" not in caplog.text and "GET /s/…/p/2" in caplog.text
