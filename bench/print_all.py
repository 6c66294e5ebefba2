"""Bulk print of a province's QR cards and paper ballots (run by hand; results go to BENCHMARKS.md).

    .venv/bin/python bench/print_all.py [--communes 90] [--citizens 30] [--businesses 10] [--small 45]

A campaign on the bundled two-tier set (``questionnaires/sets/hai_cap``: communes rated by citizens and
businesses on paper and by QR card) with ``--communes`` communes, each planned for ``--citizens`` citizens
and ``--businesses`` businesses, nothing issued yet. An admin clicks **In tất cả thẻ QR và phiếu giấy còn
thiếu** through the app (Flask's test client, SQLite on disk): every missing card and serial is issued in
one transaction, then the page streams; the bench reads it chunk by chunk and keeps only its length.

Each measure runs in a fresh interpreter of its own:

1. time: the POST until its response object (the issue, committed) and the streamed page to its last byte;
   then a second click (it must issue nothing);
2. peak memory of the same POST and page under ``tracemalloc`` (which slows Python, so it is timed apart),
   for ``--communes`` and for ``--small`` communes: constant memory means the same peak.
"""
from __future__ import annotations

import argparse
import json
import platform
import re
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from questionnaires import NEW_CAMPAIGN_SET_DIR, read_set_texts  # noqa: E402
from survey_app import create_app, migrate  # noqa: E402
from survey_app.extensions import DB_KEY  # noqa: E402
from survey_app.models import Invitation, PaperSerial, Unit  # noqa: E402
from survey_app.services.campaigns import create_campaign  # noqa: E402
from survey_app.services.units import set_targets  # noqa: E402
from survey_app.services.users import create_user  # noqa: E402

PASSWORD = "mat-khau-cua-bench-in-hang-loat"
SECRET = "bench-secret-of-the-bulk-print-more-than-32-bytes"
PREFIXES = ["Xã", "Phường", "Xã", "Xã", "Đặc khu"]
NAMES = ["Bằng Thành", "Phủ Thông", "Chợ Rã", "Nà Phặc", "Yên Lạc", "Đồng Hỷ", "Trại Cau", "Quân Chu",
         "La Hiên", "Văn Lăng", "Tân Cương", "Phúc Xuân", "Sông Công", "Bách Quang", "Đại Từ", "Hùng Sơn"]


def build(folder: Path, communes: int, citizens: int, businesses: int):
    """An app on a new SQLite database with the campaign, its plan and an admin; (app, campaign id)."""
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite'}", "SECRET_KEY": SECRET,
                      "INSTANCE_PATH": str(folder / "instance")})
    migrate.upgrade(app.extensions[DB_KEY])
    with app.extensions[DB_KEY].transaction() as s:
        c = create_campaign(s, year=2026, name="Điều tra XHH 2026", criteria_texts=read_set_texts(NEW_CAMPAIGN_SET_DIR),
                            actor="bench", status="open", province="Tỉnh Thái Nguyên")
        s.add_all([Unit(campaign_id=c.id, code=f"xa_{i:03d}", level="xa",
                        name=f"{PREFIXES[i % len(PREFIXES)]} {NAMES[i % len(NAMES)]} {i // len(NAMES) + 1}")
                   for i in range(communes)])
        s.flush()
        s.expire(c, ["units"])
        groups = {g.code: g for g in c.groups}
        set_targets(s, c, [(u, groups[g], n) for u in c.units
                           for g, n in (("nguoi_dan", citizens), ("doanh_nghiep", businesses))], "bench")
        create_user(s, "qt", PASSWORD, "admin", actor="bench")
        campaign_id = c.id
    return app, campaign_id


def signed_in(app):
    client = app.test_client()
    page = client.get("/dang-nhap").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/dang-nhap", data={"csrf_token": token, "username": "qt", "password": PASSWORD})
    return client


def click(client, campaign_id: int):
    """The button on the paper page, every filter left at 'all'; (response, seconds to the response object)."""
    page = client.get(f"/quan-tri/dot/{campaign_id}/phieu-giay").get_data(as_text=True)
    token = re.search(r'name="in-csrf_token"[^>]*value="([^"]+)"', page).group(1)
    start = time.perf_counter()
    response = client.post(f"/quan-tri/dot/{campaign_id}/in-tat-ca", buffered=False, data={
        "in-csrf_token": token, "in-cap": "", "in-doi_tuong": "", "in-don_vi": "", "in-loai": "ca-hai",
        "in-ve": "phieu-giay"})
    return response, time.perf_counter() - start


def drain(response) -> tuple[int, int, int]:
    """Read the streamed page to its end, keeping only (bytes, cards, ballots)."""
    size = cards = ballots = 0
    for chunk in response.response:
        text = chunk if isinstance(chunk, str) else chunk.decode()
        size += len(text.encode())
        cards += text.count('<article class="qr-card cut">')
        ballots += text.count('<article class="paper-ballot">')
    response.close()
    return size, cards, ballots


def measure(mode: str, communes: int, citizens: int, businesses: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        app, campaign_id = build(Path(folder), communes, citizens, businesses)
        client = signed_in(app)
        if mode == "memory":
            tracemalloc.start()
        start = time.perf_counter()
        response, issue = click(client, campaign_id)
        size, cards, ballots = drain(response)
        total = time.perf_counter() - start
        result = {"communes": communes, "issue_s": issue, "total_s": total, "bytes": size, "cards": cards,
                  "ballots": ballots}
        if mode == "memory":
            result["peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        else:
            again, seconds = click(client, campaign_id)
            result["second_click"] = {"status": again.status_code, "seconds": seconds}
            with app.extensions[DB_KEY].session() as s:
                result["stored_cards"] = s.query(Invitation).count()
                result["stored_serials"] = s.query(PaperSerial).count()
        app.extensions[DB_KEY].dispose()
        return result


def in_fresh_process(mode: str, communes: int, args) -> dict:
    out = subprocess.run([sys.executable, __file__, "--one", mode, "--communes", str(communes),
                          "--citizens", str(args.citizens), "--businesses", str(args.businesses)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=90)
    parser.add_argument("--citizens", type=int, default=30)
    parser.add_argument("--businesses", type=int, default=10)
    parser.add_argument("--small", type=int, default=45)
    parser.add_argument("--one", choices=["time", "memory"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.communes, args.citizens, args.businesses)))
        return
    print(f"{date.today()} · {platform.node()} · Python {platform.python_version()} · {platform.machine()}")
    timed = in_fresh_process("time", args.communes, args)
    print(f"{args.communes} communes × (citizens {args.citizens} + businesses {args.businesses}): "
          f"{timed['cards']} cards + {timed['ballots']} ballots, {timed['bytes'] / 2**20:.1f} MB of HTML")
    print(f"  issue (POST to response): {timed['issue_s']:.2f} s; issue + page to its last byte: "
          f"{timed['total_s']:.2f} s (target < 30 s)")
    print(f"  stored: {timed['stored_cards']} cards, {timed['stored_serials']} serials; second click: "
          f"HTTP {timed['second_click']['status']} in {timed['second_click']['seconds']:.2f} s")
    for communes in (args.communes, args.small):
        mem = in_fresh_process("memory", communes, args)
        print(f"  tracemalloc peak, {communes} communes ({mem['cards']} cards + {mem['ballots']} ballots): "
              f"{mem['peak_mb']:.1f} MB (under tracemalloc: {mem['total_s']:.1f} s)")


if __name__ == "__main__":
    main()
