"""The floor: pgbench's point SELECT and TPC-B transaction run in-process on SQLite.

pgsvc executes on SQLite, so "pgsvc latency / in-process SQLite latency" is its
per-query overhead factor: protocol, parsing, translation, process hops. The tables
mirror pgbench's (same rows, integer primary keys, filler columns) in one SQLite file
on the same filesystem, WAL mode, synchronous=FULL (pgsvc's durable default).
"""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path

SCHEMA = """
CREATE TABLE pgbench_branches (bid INTEGER PRIMARY KEY, bbalance INTEGER, filler TEXT);
CREATE TABLE pgbench_tellers (tid INTEGER PRIMARY KEY, bid INTEGER, tbalance INTEGER, filler TEXT);
CREATE TABLE pgbench_accounts (aid INTEGER PRIMARY KEY, bid INTEGER, abalance INTEGER, filler TEXT);
CREATE TABLE pgbench_history (tid INTEGER, bid INTEGER, aid INTEGER, delta INTEGER,
                              mtime TEXT, filler TEXT);
"""
ACCOUNTS, TELLERS = 100_000, 10  # per unit of scale, as pgbench


def _open(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def build(path: Path, scale: int) -> float:
    """Create and fill the tables; returns seconds taken (reported, not compared)."""
    t0 = time.perf_counter()
    conn = _open(path)
    conn.executescript(SCHEMA)
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO pgbench_branches VALUES (?, 0, NULL)", ((b,) for b in range(1, scale + 1)))
    conn.executemany("INSERT INTO pgbench_tellers VALUES (?, ?, 0, NULL)",
                     ((t, (t - 1) // TELLERS + 1) for t in range(1, TELLERS * scale + 1)))
    conn.executemany("INSERT INTO pgbench_accounts VALUES (?, ?, 0, '')",
                     ((a, (a - 1) // ACCOUNTS + 1) for a in range(1, ACCOUNTS * scale + 1)))
    conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - t0


def point_select(path: Path, scale: int, seconds: float) -> dict:
    """pgbench select-only, one client: SELECT abalance ... WHERE aid = random."""
    conn = _open(path)
    naccounts = ACCOUNTS * scale
    rand = random.randint
    sql = "SELECT abalance FROM pgbench_accounts WHERE aid = ?"
    done = 0
    t0 = time.perf_counter()
    end = t0 + seconds
    while True:
        for _ in range(200):
            conn.execute(sql, (rand(1, naccounts),)).fetchone()
        done += 200
        now = time.perf_counter()
        if now >= end:
            break
    conn.close()
    return {"tps": done / (now - t0), "latency_ms": (now - t0) / done * 1000}


def tpcb(path: Path, scale: int, seconds: float) -> dict:
    """pgbench tpcb-like, one client: the same five statements in one durable transaction."""
    conn = _open(path)
    naccounts, ntellers = ACCOUNTS * scale, TELLERS * scale
    rand = random.randint
    done = 0
    t0 = time.perf_counter()
    end = t0 + seconds
    while True:
        aid, bid, tid, delta = rand(1, naccounts), rand(1, scale), rand(1, ntellers), rand(-5000, 5000)
        conn.execute("BEGIN")
        conn.execute("UPDATE pgbench_accounts SET abalance = abalance + ? WHERE aid = ?", (delta, aid))
        conn.execute("SELECT abalance FROM pgbench_accounts WHERE aid = ?", (aid,)).fetchone()
        conn.execute("UPDATE pgbench_tellers SET tbalance = tbalance + ? WHERE tid = ?", (delta, tid))
        conn.execute("UPDATE pgbench_branches SET bbalance = bbalance + ? WHERE bid = ?", (delta, bid))
        conn.execute("INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) "
                     "VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP)", (tid, bid, aid, delta))
        conn.execute("COMMIT")
        done += 1
        now = time.perf_counter()
        if now >= end:
            break
    conn.close()
    return {"tps": done / (now - t0), "latency_ms": (now - t0) / done * 1000}
