"""Failure limits: failed sign-ins and unknown links, counted per client address.

Only failures count, so an office of a thousand officials behind one address is never slowed
down by its own successful use. A limit is checked and counted in one atomic step: a request
first takes its place in every window (an atomic increment), is refused with 429 when that
made a count pass the limit, and gives its place back once its response shows it was not a
failure. A burst of parallel bad sign-ins therefore gets exactly the limit through, however
many workers or hosts serve it; checking first and counting after the response (the usual
"deduct when") let 17–21 of a burst of 30 through a limit of 10.

Counters live in one of three stores, chosen by ``RATELIMIT_STORAGE_URI``:

- a small SQLite file in the instance folder (the default; every worker of one host shares it),
  created 0600 before SQLite opens it, so its ``-wal`` and ``-shm`` files are 0600 too;
- Redis (``redis://`` or ``rediss://``), shared by several hosts. When Redis cannot be reached the
  site keeps serving: counting falls back to this process's memory, the log says so loudly (an
  ERROR line, at most once a minute), and ``/healthz`` reports it; Redis is tried again after
  :data:`RETRY_SECONDS`;
- ``memory://``: this process only (tests).
"""
from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("survey_app.ratelimit")
RETRY_SECONDS = 30.0
REDIS_TIMEOUT = 0.5  # seconds: a dead Redis must not hold a sign-in for long
# One atomic step in Redis for every window of a request: count each, and start a window's clock on its
# first hit. KEYS: the windows' keys; ARGV: the amount, then each window's seconds.
_HIT = ("local counts = {} for i, key in ipairs(KEYS) do "
        "local n = redis.call('INCRBY', key, ARGV[1]) "
        "if n == tonumber(ARGV[1]) then redis.call('EXPIRE', key, ARGV[i + 1]) end "
        "counts[i] = n end return counts")


@dataclass(frozen=True)
class Window:
    """``limit`` failures per ``seconds``."""

    limit: int
    seconds: int


def parse_windows(text: str) -> tuple[Window, ...]:
    """Read ``"10 per minute;40 per hour"``.

    Examples
    --------
    >>> parse_windows("10 per minute;40 per hour")
    (Window(limit=10, seconds=60), Window(limit=40, seconds=3600))
    """
    units = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
    windows = []
    for part in text.split(";"):
        count, _per, unit = part.split()
        windows.append(Window(int(count), units[unit.rstrip("s")]))
    return tuple(windows)


class MemoryStore:
    """Counters in this process (tests, and the fallback while Redis is unreachable)."""

    name = "memory"

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, float]] = {}

    def add(self, windows: list[tuple[str, int]], amount: int) -> list[int]:
        """Add ``amount`` to each ``(key, seconds)`` window at once; returns the new counts."""
        now = time.time()
        counts = []
        with self._lock:
            for key, seconds in windows:
                count, expiry = self._counts.get(key, (0, 0.0))
                if expiry <= now:
                    count, expiry = 0, now + seconds
                self._counts[key] = (count + amount, expiry)
                counts.append(count + amount)
            if len(self._counts) > 100_000:  # a flood of addresses: forget the expired ones
                self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
        return counts

    def status(self) -> str:
        return "ok"


class _WithFallback:
    """A shared store that, while it fails, counts in this process's memory (and says so in the log)."""

    name = "shared"
    _errors: tuple = ()

    def __init__(self):
        self._fallback = MemoryStore()
        self._down_since: float | None = None
        self._last_retry = self._last_shout = 0.0

    def _add(self, windows: list[tuple[str, int]], amount: int) -> list[int]:
        raise NotImplementedError

    def add(self, windows: list[tuple[str, int]], amount: int) -> list[int]:
        """Add ``amount`` to each ``(key, seconds)`` window in one atomic step; returns the new counts."""
        now = time.monotonic()
        if self._down_since is not None and now - self._last_retry < RETRY_SECONDS:
            return self._fallback.add(windows, amount)
        try:
            counts = self._add(windows, amount)
        except self._errors as error:
            self._last_retry = now
            if self._down_since is None:
                self._down_since = now
            if now - self._last_shout > 60:
                self._last_shout = now
                log.error("%s unreachable (%s: %s): rate limits are counted in this process only until it is back; "
                          "limits are no longer shared across workers and hosts", self.label, type(error).__name__,
                          error)
            return self._fallback.add(windows, amount)
        if self._down_since is not None:
            log.warning("%s reachable again: rate limits are shared again", self.label)
            self._down_since = None
        return counts


class FileStore(_WithFallback):
    """Counters in a SQLite file shared by every process of one host (gunicorn's workers)."""

    name = "file"
    _errors = (sqlite3.Error,)

    def __init__(self, path: str):
        super().__init__()
        self.path = path
        self._local = threading.local()
        self.label = f"rate-limit file {path}"
        for attempt in range(20):  # every worker prepares it at start; WAL is switched on by one of them
            try:
                self._prepare()
                break
            except sqlite3.OperationalError:
                time.sleep(0.05 * (attempt + 1))

    def _prepare(self) -> None:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))  # SQLite's side files copy this mode
        os.chmod(self.path, 0o600)
        conn = sqlite3.connect(self.path, timeout=5, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, count INTEGER, expiry REAL)")
        finally:
            conn.close()

    def _connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            self._local.conn = conn
        return conn

    def _add(self, windows: list[tuple[str, int]], amount: int) -> list[int]:
        now = time.time()
        conn = self._connect()
        conn.execute("BEGIN IMMEDIATE")  # one write transaction for every window of the request
        try:
            counts = []
            for key, seconds in windows:
                conn.execute("DELETE FROM counters WHERE key = ? AND expiry <= ?", (key, now))
                counts.append(conn.execute(
                    "INSERT INTO counters (key, count, expiry) VALUES (?, ?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET count = count + excluded.count RETURNING count",
                    (key, amount, now + seconds)).fetchone()[0])
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return counts

    def status(self) -> str:
        try:
            self._connect().execute("SELECT 1 FROM counters LIMIT 1").fetchall()
        except sqlite3.Error:
            return "error"
        return "ok"


class RedisStore(_WithFallback):
    """Counters in Redis, shared by every host; this process's memory while Redis is unreachable."""

    name = "redis"
    label = "Redis"

    def __init__(self, uri: str):
        import redis

        super().__init__()
        self._errors = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
        self._client = redis.Redis.from_url(uri, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT)
        self._hit = self._client.register_script(_HIT)

    def _add(self, windows: list[tuple[str, int]], amount: int) -> list[int]:
        return [int(n) for n in self._hit(keys=[key for key, _ in windows],
                                          args=[amount, *(seconds for _, seconds in windows)])]

    def status(self) -> str:
        try:
            self._client.ping()
        except self._errors:
            return "unreachable"
        return "ok"


def open_store(uri: str):
    """The store named by ``uri``: ``redis://…``, ``memory://``, or a file (``parsurvey-file://path`` or a path)."""
    if uri.startswith(("redis://", "rediss://", "unix://")):
        return RedisStore(uri)
    if uri.startswith("memory://"):
        return MemoryStore()
    return FileStore(uri.split("://", 1)[1] if "://" in uri else uri)


class FailureLimit:
    """One limit (``scope``) on failed requests of some endpoints, per client.

    Parameters
    ----------
    store : MemoryStore | FileStore | RedisStore
        Where the counts live.
    scope : str
        The bucket's name: every endpoint given the same scope shares one bucket per client.
    windows : str
        The limits, e.g. ``"10 per minute;40 per hour"``.
    failed : callable
        Whether a response counts as a failure (e.g. ``lambda r: r.status_code == 401``).
    """

    def __init__(self, store, scope: str, windows: str, failed: Callable):
        self.store, self.scope, self.failed = store, scope, failed
        self.windows = parse_windows(windows)

    def _keys(self, client: str) -> list[tuple[str, Window]]:
        # A window starts at its first failure (the counter's expiry), not on the clock's minute: ten
        # failures at 12:00:59 and ten more at 12:01:00 are twenty in a minute.
        return [(f"parsurvey:{self.scope}:{client}:{w.seconds}", w) for w in self.windows]

    def take(self, client: str) -> tuple[list[tuple[str, Window]], int | None]:
        """Take a place in every window. Returns the places and, when a limit is passed, the seconds to
        wait (the places are then given back: a refused request does not extend the wait)."""
        places = self._keys(client)
        counts = self.store.add([(key, w.seconds) for key, w in places], 1)
        over = [w for (_key, w), count in zip(places, counts) if count > w.limit]
        if not over:
            return places, None
        self.give_back(places)
        return [], max(w.seconds for w in over)  # at most this long: the window may have started earlier

    def give_back(self, places: Iterable[tuple[str, Window]]) -> None:
        """Give back the places of a request that did not fail."""
        self.store.add([(key, w.seconds) for key, w in places], -1)
