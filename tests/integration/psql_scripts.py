"""psql scripts run side by side on pgsvc and PostgreSQL 15 (test_plpgsql, test_triggers,
test_routines): one database per case, owned by a role of the test's that runs the scripts;
psql's whole output (stdout, then stderr) is what is compared."""

from __future__ import annotations

import subprocess

from conftest import require_tool


def run_script(target, script: str, dbname: str, verbosity: str = "default") -> str:
    cmd = [require_tool("psql"), "-X", "-h", "127.0.0.1", "-p", str(target.port), "-U", target.superuser,
           "-d", dbname, "-v", "ON_ERROR_STOP=0", "-v", f"VERBOSITY={verbosity}", "-f", "-"]
    res = subprocess.run(cmd, input=script, capture_output=True, text=True, timeout=120,
                         env={"PGTZ": "UTC", "PGDATESTYLE": "ISO, MDY", "LC_ALL": "C", "PATH": "/usr/bin:/bin"})
    return res.stdout + "\n--stderr--\n" + res.stderr


def fresh_databases(target, owner: str, prefix: str, names) -> None:
    """(Re)create the role `owner` and one database `<prefix>_<name>` per name, whose
    public schema and database `owner` may create in."""
    script = "\n".join(f"DROP DATABASE IF EXISTS {prefix}_{n};\nCREATE DATABASE {prefix}_{n};" for n in names)
    run_script(target, f"DROP ROLE IF EXISTS {owner};\nCREATE ROLE {owner};\n" + script, "postgres")
    for n in names:
        run_script(target, f"GRANT CREATE, USAGE ON SCHEMA public TO {owner};\n"
                           f"GRANT CREATE ON DATABASE {prefix}_{n} TO {owner};", f"{prefix}_{n}")
