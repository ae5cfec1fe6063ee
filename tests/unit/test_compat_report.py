"""compat/report.py (make compat's report): every test that passes on PostgreSQL and not on
pgsvc is listed once, in the group of the first reasons.txt rule it matches, with its
SQLSTATE; the ones no rule matches are listed as not triaged, never dropped."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from xml.sax.saxutils import quoteattr

ROOT = Path(__file__).resolve().parents[2]


def _report():
    spec = importlib.util.spec_from_file_location("compat_report", ROOT / "compat" / "report.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _junit(path: Path, cases: list[tuple[str, str, str | None, str]]) -> str:
    """cases: (module file, name, outcome tag or None, message)."""
    rows = []
    for file, name, tag, msg in cases:
        cls = file[:-3].replace("/", ".")
        inner = f"<{tag} message={quoteattr(msg)}>trace</{tag}>" if tag else ""
        rows.append(f'<testcase classname="{cls}" name="{name}" file="{file}">{inner}</testcase>')
    path.write_text(f'<testsuites><testsuite>{"".join(rows)}</testsuite></testsuites>')
    return str(path)


def test_groups_every_open_test_by_reason(tmp_path):
    report = _report()
    pg = _junit(tmp_path / "pg.xml", [
        ("tests/test_a.py", "test_ok", None, ""),
        ("tests/test_a.py", "test_copy[1]", None, ""),
        ("tests/test_a.py", "test_copy[2]", None, ""),
        ("tests/test_a.py", "test_copy[3]", None, ""),
        ("tests/test_a.py", "test_wrong", None, ""),
        ("tests/test_b.py", "test_new", None, ""),
        ("tests/test_b.py", "test_fails_on_both", "failure", "boom"),
        ("tests/test_b.py", "test_not_reached", None, ""),
    ])
    svc = _junit(tmp_path / "svc.xml", [
        ("tests/test_a.py", "test_ok", None, ""),
        ("tests/test_a.py", "test_copy[1]", "failure",
         "psycopg.errors.FeatureNotSupported: COPY BINARY is not supported"),
        ("tests/test_a.py", "test_copy[2]", "failure",
         "psycopg.errors.FeatureNotSupported: COPY BINARY is not supported"),
        ("tests/test_a.py", "test_copy[3]", "error",
         'failed on setup with "psycopg.errors.FeatureNotSupported: COPY BINARY is not supported"'),
        ("tests/test_a.py", "test_wrong", "failure", "AssertionError: assert 1 == 2"),
        ("tests/test_b.py", "test_new", "failure",
         'psycopg.errors.UndefinedFunction: function f_12345(integer) does not exist'),
        ("tests/test_b.py", "test_fails_on_both", "failure", "boom"),
    ])
    reasons = tmp_path / "reasons.txt"
    reasons.write_text("# comment\nCOPY BINARY\tbinary COPY is missing\n")
    lines, figures = report.suite_section("suite", pg, svc, report.load_reasons(str(reasons)))
    text = "\n".join(lines)
    assert figures == {"title": "suite", "pg": 7, "svc": 1, "both": 1, "ratio": 100 / 7, "open": 6}
    assert "| 1 | binary COPY is missing | server error 0A000 | 3 |" in text
    assert "- 2 × `FeatureNotSupported [0A000]: COPY BINARY is not supported`" in text
    assert "`tests/test_a.py::test_copy` [1, 2]" in text
    assert "- 1 × `FeatureNotSupported [0A000] (in setup): COPY BINARY is not supported`" in text
    untriaged = text.split("not triaged yet (3)")[1]
    assert "assertion failed in tests/test_a.py::test_wrong" in untriaged
    assert "UndefinedFunction [42883]: function f_12345(integer) does not exist" in untriaged
    assert "not run on pgsvc" in untriaged and "tests/test_b.py::test_not_reached" in untriaged
    assert "test_fails_on_both" not in text


def test_parts_of_one_suite_are_read_together(tmp_path):
    report = _report()
    a = _junit(tmp_path / "a.xml", [("tests/t.py", "test_1", None, "")])
    b = _junit(tmp_path / "b.xml", [("tests/t.py", "test_2", "skipped", "no")])
    results = report.read_junit(f"{a},{b},{tmp_path / 'missing.xml'}")
    assert results == {"tests/t.py::test_1": ("passed", ""), "tests/t.py::test_2": ("skipped", "no")}


def test_cluster_keys_keep_names_and_blank_run_specific_parts():
    report = _report()
    key = report.cause("t", "failed", 'psycopg.errors.UndefinedObject: type "int4range" does not exist')[0]
    assert key == 'UndefinedObject [42704]: type "int4range" does not exist'
    key = report.cause("t", "failed", 'psycopg.errors.UndefinedObject: portal "c_1234567" does not exist')[0]
    assert key == 'UndefinedObject [42704]: portal "…" does not exist'
    assert report.cause("t", "failed", "Failed: Timeout (>30.0s) from pytest-timeout.")[1] == "timeout"
    assert report.cause("t[x]", "failed", "assert 1 == 2")[:2] == (
        "assertion failed in t", "assertion (different answer or behaviour)")
