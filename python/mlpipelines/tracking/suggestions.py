"""The closest valid name to a misspelt one (``CVS`` -> ``CSV``): Java's ``config/Suggestions``.

Case is ignored; a candidate is offered only when at most a third of its letters (at least one, at
most three) would have to change, so that a wild guess is not. A contract test checks that both
languages suggest the same.
"""

from __future__ import annotations

from collections.abc import Iterable


def distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment): a swap of neighbours counts once."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate nearest to ``name``, if it is near enough; the first of equally near ones."""
    # Java lower-cases with Locale.ROOT; str.lower() agrees on the names this is used for.
    wanted = name.lower()
    best, best_distance = None, None
    for candidate in candidates:
        found = distance(wanted, candidate.lower())
        allowed = min(3, max(1, len(candidate) // 3))
        if found <= allowed and (best_distance is None or found < best_distance):
            best, best_distance = candidate, found
    return best


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest candidate, or ``""``."""
    candidate = closest(name, candidates)
    return f"; did you mean {candidate!r}?" if candidate is not None else ""
