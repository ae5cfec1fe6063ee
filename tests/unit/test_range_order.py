"""The stored order of ranges and multiranges (COLLATE pg_range / pg_multirange compare
sort keys) against range_cmp / multirange_cmp, which follow rangetypes.c and
multirangetypes.c, over random ranges (infinite bounds, empty ranges, numeric NaN), and
the stored form's round trip."""

from __future__ import annotations

import itertools
import random
from decimal import Decimal

from pgsvc.errors import SqlError
from pgsvc.sql.types import multiranges as M
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import ranges as R

_VALUES = {O.INT4: [None, -3, 1, 2, 5], O.NUMERIC: [None, Decimal("1.5"), Decimal("1.50"), Decimal(2),
                                                    Decimal("NaN"), Decimal("Infinity")]}


def _ranges(sub: int, n: int) -> list:
    rng = random.Random(sub)
    out = []
    for _ in range(50 * n):  # bounded: a regression in construct must fail, not spin
        if len(out) == n:
            break
        lo, hi = rng.choice(_VALUES[sub]), rng.choice(_VALUES[sub])
        try:
            out.append(R.construct(sub, lo, hi, rng.choice(["[]", "[)", "(]", "()"])))
        except SqlError:  # lower > upper: not a range
            continue
    assert len(out) == n, f"only {len(out)} of {n} ranges could be built"
    return out


def _sign(c: int) -> int:
    return (c > 0) - (c < 0)


def test_range_collation_is_range_cmp():
    for sub in (O.INT4, O.NUMERIC):
        rs = _ranges(sub, 70)
        for a, b in itertools.product(rs, rs):
            assert R.collate_range(R.to_stored(a), R.to_stored(b)) == _sign(R.range_cmp(a, b)), (a, b)


def test_multirange_collation_is_multirange_cmp():
    for sub in (O.INT4, O.NUMERIC):
        rs = _ranges(sub, 40)
        rng = random.Random(7)
        ms = [M.normalize(sub, rng.sample(rs, rng.randint(0, 3))) for _ in range(50)]
        for a, b in itertools.product(ms, ms):
            got = M.collate_multirange(M.to_stored(a), M.to_stored(b))
            assert got == _sign(M.multirange_cmp(a, b)), (a, b)


def test_stored_form_round_trip():
    for sub in (O.INT4, O.NUMERIC):
        for r in _ranges(sub, 60):
            back = R.from_stored(R.to_stored(r))
            assert R.range_cmp(back, r) == 0 and back.flags == r.flags
    text = R.Range("a,b", 'q"x\\', R.LB_INC)
    assert R.from_stored(R.to_stored(text)) == text
    m = (text, R.Range("z", None, R.LB_INC | R.UB_INF))
    assert M.from_stored(M.to_stored(m)) == m
