"""'Perhaps you meant to reference the column ...': PostgreSQL's hint for a misspelt column,
the closest column names by edit distance over every range entry the query can see (a
qualified reference adds the distance between the qualifier and the entry's name).
"""

from __future__ import annotations

MAX_FUZZY_DISTANCE = 3


def levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def column_hint(scope, column: str, alias: str | None) -> str | None:
    """The hint for an unknown column (alias: the qualifier written, if any)."""
    best = MAX_FUZZY_DISTANCE + 1
    first = second = None
    while scope is not None:
        for entry in scope.entries:
            if entry.alias is None:
                continue
            penalty = levenshtein(alias, entry.alias) if alias is not None else 0
            if penalty > MAX_FUZZY_DISTANCE:
                continue
            for col in entry.cols:
                distance = levenshtein(column, col.name)
                if distance > len(column) // 2:
                    continue  # more than half the characters differ: not a suggestion
                distance += penalty
                if distance < best:
                    best, first, second = distance, (entry.alias, col.name), None
                elif distance == best:
                    if second is not None:  # too many equally good matches: none of them
                        best, first, second = distance - 1, None, None
                    elif first is not None:
                        second = (entry.alias, col.name)
        scope = scope.parent
    if first is None:
        return None
    if second is None:
        return f'Perhaps you meant to reference the column "{first[0]}.{first[1]}".'
    return (f'Perhaps you meant to reference the column "{first[0]}.{first[1]}" or the column '
            f'"{second[0]}.{second[1]}".')
