"""Reading pgsvc.conf (postgresql.conf syntax) into settings.

Syntax as PostgreSQL's guc-file.l: `name = value` or `name value`, `#` comments,
values bare or in single quotes (`''` or `\\'` for a quote), `include`,
`include_if_exists`, `include_dir` (its `*.conf` files in file-name order, as
PostgreSQL). Unknown names are errors, as in PostgreSQL, so that a typo does not
silently leave a setting at its default.
"""

from __future__ import annotations

import os
import re

from pgsvc.errors import PgsvcError, SqlError
from pgsvc.settings import DEFINITIONS, lookup, parse_value

LINE_SYNTAX = re.compile(
    r"""^\s*(?P<name>[A-Za-z_][\w.]*)\s*(?:=\s*|\s+)(?P<value>'(?:[^'\\]|''|\\.)*'|[^\s#'=]+)\s*(?:\#.*)?$"""
)


class ConfigError(PgsvcError):
    pass


def read_config(path: str, _depth: int = 0) -> dict[str, object]:
    """Parse a config file into {canonical name: typed value}."""
    if _depth > 10:
        raise ConfigError(f'could not open configuration file "{path}": maximum nesting depth exceeded')
    values: dict[str, object] = {}
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for lineno, line in enumerate(lines, 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = LINE_SYNTAX.match(line)
        if not m:
            raise ConfigError(f'syntax error in file "{path}" line {lineno}, near "{stripped[:40]}"')
        name, raw = m.group("name"), unquote(m.group("value"))
        if name in ("include", "include_if_exists", "include_dir"):
            target = raw if os.path.isabs(raw) else os.path.join(os.path.dirname(path), raw)
            if name == "include_if_exists" and not os.path.exists(target):
                continue
            for included in (conf_files_in(target) if name == "include_dir" else [target]):
                values.update(read_config(included, _depth + 1))
            continue
        values.update(parse_setting(name, raw, where=f'file "{path}" line {lineno}'))
    return values


def conf_files_in(directory: str) -> list[str]:
    """include_dir's files: names ending in .conf, not hidden, sorted bytewise (the order
    PostgreSQL applies them in, so a later file's setting wins)."""
    try:
        names = os.listdir(directory)
    except OSError as e:
        raise ConfigError(f'could not open configuration directory "{directory}": {e.strerror}') from None
    return [os.path.join(directory, n) for n in sorted(names, key=os.fsencode)
            if n.endswith(".conf") and not n.startswith(".") and os.path.isfile(os.path.join(directory, n))]


def parse_setting(name: str, raw: str, where: str = "command line") -> dict[str, object]:
    if "." in name and name.lower() not in DEFINITIONS:
        return {name.lower(): raw}  # placeholder (extension-style) variable
    try:
        setting = lookup(name)
        return {setting.name.lower(): parse_value(setting, raw)}
    except SqlError as e:
        raise ConfigError(f"{e.message} ({where})") from None


def parse_assignments(pairs: tuple[str, ...] | list[str]) -> dict[str, object]:
    """`-c name=value` options."""
    values: dict[str, object] = {}
    for pair in pairs:
        if "=" not in pair:
            raise ConfigError(f'-c {pair} requires a value')
        name, raw = pair.split("=", 1)
        values.update(parse_setting(name.strip().replace("-", "_"), raw))
    return values


def unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == "'" and value[-1] == "'":
        inner = value[1:-1]
        return re.sub(r"''|\\(.)", lambda m: "'" if m.group(0) == "''" else _escape(m.group(1)), inner)
    return value


def _escape(ch: str) -> str:
    return {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}.get(ch, ch)


def render_config(values: dict[str, str]) -> str:
    """The pgsvc.conf initdb writes: every given setting, quoted when it needs quotes."""
    lines = ["# pgsvc configuration (postgresql.conf syntax). Changes to settings marked",
             "# (reload) apply on `pgsvc reload` / SIGHUP; others need a restart.", ""]
    for name, value in values.items():
        setting = DEFINITIONS.get(name.lower())
        note = ""
        if setting is not None:
            note = "  # (restart)" if setting.context == "postmaster" else "  # (reload)"
        text = str(value)
        if not re.fullmatch(r"[\w.\-]+", text):
            text = "'" + text.replace("'", "''") + "'"
        lines.append(f"{name} = {text}{note}")
    return "\n".join(lines) + "\n"
