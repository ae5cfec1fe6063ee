"""What the supervisor loads before the first fork (postmaster._preload_backend_code), and
what it leaves for later (postmaster.DEFERRED_PRELOAD).

scramp (~20 ms of CPU to import) is loaded only when pg_hba.conf asks some client for a
password: no module of the backend may import it at the top again, and the supervisor
must load it when a scram-sha-256, md5 or password line exists (each backend would
otherwise import its own copy during authentication). The import cases run in a fresh
interpreter: this process has long loaded scramp for other tests.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from pgsvc.cluster.hba import HbaRecord
from pgsvc.cluster.passwords import hba_uses_scramp

PRELOAD = """
import sys, types
from pgsvc.cluster.hba import HbaRecord
from pgsvc.supervisor import postmaster
import pgsvc.backend.main  # every module a backend runs
assert "scramp" not in sys.modules, "a backend module imports scramp at the top"
assert not [m for m in sys.modules if m.startswith(postmaster.DEFERRED_PRELOAD + ("pgsvc.replication.",))], \
    "a backend module imports the walsender or pg15_data at the top"
p = postmaster.Postmaster.__new__(postmaster.Postmaster)
p.state = types.SimpleNamespace(hba=[HbaRecord(1, "host", ("all",), ("all",), None, m) for m in sys.argv[1:]])
p._preload_password_exchange()
print("scramp" in sys.modules)
"""


def _records(*methods):
    return [HbaRecord(i, "host", ("all",), ("all",), None, m) for i, m in enumerate(methods, 1)]


@pytest.mark.parametrize("methods, uses", [
    (["trust"], False),
    (["peer", "trust", "reject"], False),
    (["trust", "scram-sha-256"], True),
    (["md5"], True),
    (["password"], True),
    ([], False),
])
def test_which_hba_methods_need_scramp(methods, uses):
    assert hba_uses_scramp(_records(*methods)) is uses


@pytest.mark.parametrize("methods, loaded", [(["trust", "peer"], False), (["trust", "scram-sha-256"], True)])
def test_supervisor_loads_scramp_only_for_password_lines(methods, loaded):
    res = subprocess.run([sys.executable, "-c", PRELOAD, *methods], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == str(loaded)


def test_password_functions_load_scramp_on_first_use():
    code = ("import sys\nfrom pgsvc.cluster import passwords\nassert 'scramp' not in sys.modules\n"
            "v = passwords.make_scram_verifier('pw', b'0123456789abcdef')\n"
            "print(v.startswith('SCRAM-SHA-256$4096:MDEyMzQ1Njc4OWFiY2RlZg==$'), 'scramp' in sys.modules)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["True", "True"]


DEFERRED = """
import sys, types
from pgsvc.supervisor import postmaster
p = postmaster.Postmaster.__new__(postmaster.Postmaster)
notifier = types.SimpleNamespace(watchdog_due=lambda now: None)
p.state = types.SimpleNamespace(hba=[], notifier=notifier)
p.deferred, p.immediate_deadline, p.shutdown_mode = [], None, None
p._preload_backend_code()
early = sorted(m for m in sys.modules if m.startswith(postmaster.DEFERRED_PRELOAD))
assert "pgsvc.backend.main" in sys.modules and "pgsvc.sql.exec.engine" in sys.modules
assert p.deferred and all(n.startswith(postmaster.DEFERRED_PRELOAD) for n in p.deferred), p.deferred
assert p._next_timeout() == 0.0  # the loop polls while modules are left
while p.deferred:
    p._load_deferred()
assert p._next_timeout() is None
from pgsvc.backend.walsender import session
from pgsvc.sql.catalog.system import pg15_data
print(early)
"""


def test_deferred_modules_load_after_the_preload_one_per_idle_turn():
    """The walsender (and the replication code it brings) and pg15_data are not loaded by
    the preload that the first client waits for, but by the loop afterwards."""
    res = subprocess.run([sys.executable, "-c", DEFERRED], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "['pgsvc.backend.walsender']"  # the package only (walked into)


def test_places_of_finds_each_stand_in_in_one_traversal():
    """prepared_udfs._places_of takes every step's stand-in at once (one gc.get_referrers,
    not one per step: ~100 ms of the supervisor's start): each stand-in gets its own
    places, and one kept anywhere but a cell, a dict value or an attribute gets None."""
    from pgsvc.sql.exec import prepared_udfs

    in_cell, in_dict, in_attr, in_tuple, nowhere = (prepared_udfs._StandIn(None) for _ in range(5))

    def closure():
        return in_cell

    held = {"engine": in_dict}
    holder = type("Holder", (), {})()
    holder.engine = in_attr
    kept = (in_tuple,)
    places = prepared_udfs._places_of([in_cell, in_dict, in_attr, in_tuple, nowhere])
    assert places[0] == [(closure.__closure__[0], None)]
    assert places[1] == [(held, "engine")]
    assert places[2] in ([(holder, "engine")], [(holder.__dict__, "engine")])
    assert places[3] is None
    assert places[4] == []
    assert kept
