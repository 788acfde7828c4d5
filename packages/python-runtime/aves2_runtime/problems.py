"""Problems a user can fix (bad data, a wrong model folder): one line each.

The text matches core's ``formatProblem`` (``path:line: message (hint)``), so
a problem reads the same whether the TS preflight found it before the run or
this runtime found it inside the run.
"""

import contextlib
import sys

# The exit code of bad input, as the CLI uses it: the run did not fail, it was refused.
EXIT_BAD_INPUT = 2


class Problem(ValueError):
    def __init__(self, path, message, line=None, hint=None):
        super().__init__(message)
        self.path = path
        self.line = line
        self.message = message
        self.hint = hint

    def __str__(self):
        where = f"{self.path}{f':{self.line}' if self.line else ''}: " if self.path else ""
        return f"{where}{self.message}{f' ({self.hint})' if self.hint else ''}"

    def as_dict(self):
        return {k: v for k, v in (("path", self.path), ("line", self.line), ("message", self.message), ("hint", self.hint)) if v is not None}


def exit_with(problem):
    """Print the problem as one ``error:`` line and leave with the bad-input code (no traceback)."""
    print(f"error: {problem}", file=sys.stderr, flush=True)
    raise SystemExit(EXIT_BAD_INPUT)


@contextlib.contextmanager
def refusing_bad_input():
    """A Problem raised inside ends the process with its one line and exit code 2, no traceback."""
    try:
        yield
    except Problem as p:
        exit_with(p)


def closest(name, known, limit=3):
    """The known names closest to ``name``, best first (core's catalog/suggest.ts, same rule)."""
    lower = name.lower()
    scored = []
    for k in known:
        kl = k.lower()
        d = 0.5 if (lower in kl or kl in lower) else _edit_distance(lower, kl)
        if d <= max(2, len(k) // 3):
            scored.append((d, k))
    scored.sort(key=lambda t: (t[0], t[1]))
    return [k for _, k in scored[:limit]]


def did_you_mean(name, known):
    hits = closest(name, known)
    if not hits:
        return None
    return "did you mean " + " or ".join(f'"{h}"' for h in hits) + "?"


def _edit_distance(a, b):
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        diag, prev[0] = prev[0], i
        for j in range(1, len(b) + 1):
            above = prev[j]
            prev[j] = min(above + 1, prev[j - 1] + 1, diag + (0 if a[i - 1] == b[j - 1] else 1))
            diag = above
    return prev[len(b)]
