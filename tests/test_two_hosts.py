"""Two app hosts, one PostgreSQL, one Redis: what a merged province's deployment runs.

Two gunicorn servers (two ports, separate processes and instance folders, nothing shared but the
database, Redis and SECRET_KEY) serve the demo province. A person signed in on one is served by the
other; signing out on one ends the session on both; failed sign-ins are counted across both, even
in a parallel burst; one link sent to both at once stores one ballot; a campaign closed on one is
closed on the other at once; a criteria set replaced behind one host's back is what the other shows.
"""
from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import func, select

from survey_app import migrate
from survey_app.demo import build_demo
from survey_app.extensions import DB_KEY
from survey_app.models import Campaign, Envelope
from survey_app.services.campaigns import campaign_criteria, create_campaign
from survey_app.services.criteria import replace_criteria
from survey_app.services.users import create_user

from .conftest import CURRENT, make_app
from .deploy import Redis
from .servers import Gunicorn
from .test_auth import PASSWORD
from .test_https_browser import sign_in
from .test_respond import invite

pytestmark = [pytest.mark.browser, pytest.mark.postgres]
SECRET = "two-hosts-secret-of-more-than-32-bytes-9a7e"
TOKEN = "tok-two-hosts-0000000000000000"


@pytest.fixture
def two_hosts(pg_cluster, tmp_path):
    """(app on the shared database, host A, host B, Redis); everything stopped afterwards."""
    url = pg_cluster.create_database()
    app = make_app(url, tmp_path / "setup", SECRET_KEY=SECRET)
    migrate.upgrade(app.extensions[DB_KEY])
    with app.extensions[DB_KEY].transaction() as s:
        build_demo(s, secret=SECRET, seed=5)
        create_user(s, "qt.hai", PASSWORD, "admin", actor="test")
    invite(app, "hdnd_huyen", "ba_be", TOKEN)
    redis = Redis(tmp_path)
    redis.start()
    hosts = [Gunicorn(url, tmp_path / f"host-{name}.log",
                      {"SECRET_KEY": SECRET, "RATELIMIT_STORAGE_URI": redis.url, "TRUSTED_PROXIES": "1",
                       "GUNICORN_WORKERS": "2", "GUNICORN_THREADS": "4",
                       "PARSURVEY_INSTANCE": str(tmp_path / f"instance-{name}")})
             for name in "ab"]
    try:
        for host in hosts:
            host.spawn()
        for host in hosts:
            host.wait_ready()
        yield app, hosts[0], hosts[1], redis
    finally:
        for host in hosts:
            host.stop()
        redis.stop()
        app.extensions[DB_KEY].dispose()
        pg_cluster.drop_database(url)


def _ballots(app) -> int:
    """Respondents' ballots so far: envelopes in the box while the campaign collects."""
    with app.extensions[DB_KEY].session() as s:
        return s.scalar(select(func.count()).select_from(Envelope))


def _sign_in_status(base: str, client: str, password: str) -> int:
    """One sign-in as the proxy forwards it for ``client``; returns the status."""
    web = requests.Session()
    headers = {"X-Forwarded-For": client}
    page = web.get(base + "/dang-nhap", headers=headers, timeout=20)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    sent = web.post(base + "/dang-nhap", data={"csrf_token": token, "username": "qt.hai", "password": password},
                    headers={**headers, "Referer": base + "/dang-nhap"}, allow_redirects=False, timeout=20)
    return sent.status_code


def test_two_app_hosts_on_one_postgresql_and_one_redis(two_hosts, browser):
    app, a, b, _redis = two_hosts
    figures = {}

    # Signed in on A, served on B; signed out on B, the session copied before opens nothing on A.
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, a.url, "qt.hai")
    expect(page.get_by_role("heading", name="Các đợt khảo sát")).to_be_visible()
    copied = context.cookies()
    page.goto(b.url + "/quan-tri/")
    expect(page.get_by_role("heading", name="Các đợt khảo sát")).to_be_visible()
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page).to_have_url(re.compile(r"/dang-nhap"))
    context.close()
    replay = browser.new_context()
    replay.add_cookies(copied)
    page = replay.new_page()
    page.goto(a.url + "/quan-tri/")
    expect(page).to_have_url(re.compile(r"/dang-nhap"))
    replay.close()

    # Failed sign-ins count across both hosts, one at a time and in a parallel burst.
    statuses = [_sign_in_status((a, b)[n % 2].url, "203.0.113.60", "sai-mat-khau-roi") for n in range(10)]
    assert statuses == [401] * 10
    assert _sign_in_status(a.url, "203.0.113.60", "sai-mat-khau-roi") == 429
    assert _sign_in_status(b.url, "203.0.113.60", PASSWORD) == 429, "the client waits on the other host too"
    with ThreadPoolExecutor(max_workers=16) as pool:
        burst = list(pool.map(lambda n: _sign_in_status((a, b)[n % 2].url, "203.0.113.61", "sai-mat-khau-roi"),
                              range(30)))
    assert sorted(burst).count(401) == 10 and burst.count(429) == 20, burst
    figures["burst"] = (burst.count(401), burst.count(429))

    # One link, answered to the end, sent to both hosts at once: one ballot.
    before = _ballots(app)
    phone = browser.new_context(viewport={"width": 360, "height": 740})
    page = phone.new_page()
    page.goto(f"{a.url}/s/{TOKEN}")
    page.get_by_role("link", name="Bắt đầu trả lời →").click()
    for question in page.locator("fieldset.question").all():
        question.locator("label.opt").first.click()
    page.get_by_role("button", name="Lưu và xem lại →").click()
    expect(page.get_by_role("button", name="Gửi phiếu")).to_be_visible()
    form = {el.get_attribute("name"): el.get_attribute("value")
            for el in page.locator("form:has(button:text('Gửi phiếu')) input[type=hidden]").all()}
    cookies = {c["name"]: c["value"] for c in phone.cookies()}
    phone.close()

    def send(host):
        return requests.post(f"{host.url}/s/{TOKEN}/gui", data=form, cookies=cookies, timeout=30,
                             headers={"Referer": f"{host.url}/s/{TOKEN}/gui", "X-Forwarded-For": "198.51.100.9"})

    with ThreadPoolExecutor(max_workers=2) as pool:
        sent = list(pool.map(send, (a, b)))
    assert [r.status_code for r in sent] == [200, 200], [r.text[:300] for r in sent]
    assert all("Cảm ơn Ông/Bà đã gửi phiếu" in r.text for r in sent), "the second is the same submission again"
    assert _ballots(app) == before + 1, "one link, one ballot, whichever host stores it"

    # A campaign closed on A is closed on B at once.
    admin = browser.new_context().new_page()
    sign_in(admin, a.url, "qt.hai")
    expect(admin.get_by_role("heading", name="Các đợt khảo sát")).to_be_visible()
    late = "tok-two-hosts-late-00000000000"
    invite(app, "hdnd_huyen", "na_ri", late)
    assert requests.get(f"{b.url}/s/{late}", timeout=20).status_code == 200, "open while collecting"
    admin.goto(f"{a.url}/quan-tri/dot/{CURRENT}/ket-thuc")
    admin.get_by_label("Tôi hiểu: kết thúc đợt khảo sát không hoàn tác được.").check()
    if admin.locator("input[name=confirm_coverage]").count():  # units under the set's min_ballots
        admin.locator("input[name=confirm_coverage]").check()
    admin.locator("form button[type=submit]").last.click()
    closed_at = time.monotonic()
    refused = requests.get(f"{b.url}/s/{late}", timeout=20)
    figures["closed_seen_on_b_ms"] = round((time.monotonic() - closed_at) * 1000)
    assert "đã kết thúc" in refused.text or "đã đóng" in refused.text, refused.text[:500]
    with app.extensions[DB_KEY].session() as s:
        assert s.get(Campaign, CURRENT).status == "closed"

    # A draft's criteria set, looked at on B, replaced (on A, or by the CLI): B shows the new set.
    with app.extensions[DB_KEY].transaction() as s:
        files = dict(s.get(Campaign, CURRENT).criteria_files)
        draft = create_campaign(s, year=2026, name="Hai máy chủ 2026", criteria_texts=files, actor="test")
        draft_id, name = draft.id, campaign_criteria(draft).name
    admin.goto(f"{b.url}/quan-tri/dot/{draft_id}/bo-tieu-chi")
    expect(admin.locator("main strong").first).to_have_text(name)
    changed = name + " (bản sửa năm 2026)"
    with app.extensions[DB_KEY].transaction() as s:
        texts = {path: text.replace(name, changed) for path, text in files.items()}
        assert texts != files
        replace_criteria(s, s.get(Campaign, draft_id), texts, actor="test")
    for _ in range(4):  # every worker of B, whichever answers
        admin.goto(f"{b.url}/quan-tri/dot/{draft_id}/bo-tieu-chi")
        expect(admin.locator("main strong").first).to_have_text(changed)
    admin.context.close()
    print("two hosts:", figures)
