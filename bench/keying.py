"""Keying paper ballots in Chromium with the keyboard only: keys and seconds per ballot (run by hand;
results go to BENCHMARKS.md).

    .venv/bin/python bench/keying.py                  # 20 ballots, each keyed twice (two keyers)
    .venv/bin/python bench/keying.py --ballots 100    # a longer sitting

Issue 28 item 6: the common case (the serial, then one key per answer, Enter) needs no mouse and at most
question count + 3 keys. The world is ``tests/keying.py``'s: a campaign on the national-shape set, the
citizens' 14-question commune ballot (keys 1..5, 0 for "don't know"), double entry; the app on a fresh
SQLite database, served by Werkzeug in this process, as the browser tests serve it. Each keyer signs in
once, then for every ballot types the serial, Enter, 14 keys, Enter, and waits for the saved message.
Keys are pressed at machine speed, so the seconds are what the software adds to a ballot (two page loads,
a save, the round trips), not a person's reading and typing; a keyer's own time is added on top.
"""
from __future__ import annotations

import argparse
import datetime
import logging
import os
import platform
import random
import statistics
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BENCH_SECRET = "bench-keying-secret-of-more-than-32-bytes-71c0"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ballots", type=int, default=20, help="ballots printed and keyed twice (default 20)")
    parser.add_argument("--seed", type=int, default=28, help="seed of the answers keyed")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright
    from sqlalchemy import func, select
    from werkzeug.serving import make_server

    from survey_app import create_app, migrate
    from survey_app.extensions import DB_KEY
    from survey_app.models import Ballot
    from tests.keying import KEYERS, campaign_questions, counted, key_ballot, make_world, sign_in

    folder = Path(tempfile.mkdtemp(prefix="parsurvey-keying-"))
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite'}",
                      "SECRET_KEY": BENCH_SECRET, "INSTANCE_PATH": str(folder / "instance")})
    migrate.upgrade(app.extensions[DB_KEY])
    world = make_world(app, {"x_a1": args.ballots})
    questions = campaign_questions(app, world.campaign_id)
    rng = random.Random(args.seed)
    answers = ["".join(rng.choice("123450") for _ in questions) for _ in world.serials["x_a1"]]

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    results = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        version = browser.version
        for keyer in KEYERS:
            page = sign_in(browser, base, keyer)
            before, _ = counted(page)
            runs = [key_ballot(page, base, serial, keys) for serial, keys in zip(world.serials["x_a1"], answers)]
            after, pointer = counted(page)
            assert after - before == sum(run.keys for run in runs), "every key the pages saw was pressed here"
            results[keyer] = (runs, pointer)
            page.context.close()
        browser.close()
    server.shutdown()
    with app.extensions[DB_KEY].session() as s:
        verified = s.scalar(select(func.count()).select_from(Ballot).where(Ballot.state == "verified"))

    n = len(questions)
    print(f"keying benchmark, {datetime.date.today().isoformat()}: {cpu_name()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, Chromium {version}, SQLite, Werkzeug in-process")
    print(f"{args.ballots} ballots of {n} questions, each keyed twice (double entry); {verified} verified")
    for keyer, (runs, pointer) in results.items():
        seconds = [run.seconds for run in runs]
        keys = {run.keys_after_serial for run in runs}
        print(f"  {keyer}: keys a ballot after the serial {sorted(keys)} (limit {n + 3}), with the serial's "
              f"{runs[0].serial_keys} digits {runs[0].keys}; pointer events {pointer}; seconds a ballot: mean "
              f"{statistics.mean(seconds):.2f}, median {statistics.median(seconds):.2f}, max {max(seconds):.2f}; "
              f"{sum(seconds):.1f} s for {len(runs)}")
    ok = (verified == args.ballots and all(p == 0 for _, p in results.values())
          and all(run.keys_after_serial <= n + 3 for runs, _ in results.values() for run in runs))
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
