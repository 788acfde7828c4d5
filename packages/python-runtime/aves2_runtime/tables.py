"""Tabular inputs: CSV files with a header row, read and checked as TABLES.md says.

The TS preflight (core's launchers/table.ts) applies the same rules before a
local run starts; tests/fixtures/tables/cases.json holds the cases both must
agree on, word for word. Reading needs only the standard library and numpy.

Values are judged column by column and each distinct value once (a column of
200,000 rows rarely holds as many distinct values), which is what keeps the
pure-Python rules within a small factor of pandas' C reader.
"""

import contextlib
import csv
import gc
import io
import math
import os
import re
import sys
from collections import Counter

import numpy as np

from .problems import Problem, did_you_mean

MISSING = frozenset(["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "?"])
NUMBER = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$")
# One-hot category of a missing categorical value: a value of its own, so "unknown" can carry signal.
MISSING_CATEGORY = "(missing)"

NUMERIC = "numeric"
CATEGORICAL = "categorical"
TASKS = ("classification", "regression", "clustering")

csv.field_size_limit(sys.maxsize)


def is_missing(value):
    return value in MISSING


def is_number(value):
    return NUMBER.match(value) is not None


class Column:
    __slots__ = ("name", "kind", "index")

    def __init__(self, name, kind, index):
        self.name = name
        self.kind = kind
        self.index = index  # position in the file's header

    def __repr__(self):
        return f"Column({self.name!r}, {self.kind})"


class Table:
    """A checked CSV: its header, trimmed rows, the feature columns and the target."""

    def __init__(self, path, header, rows, lines, columns, features, target):
        self.path = path
        self.header = header
        self.rows = rows  # every row's trimmed values, all columns, as text
        self.lines = lines  # the line each row starts on
        self._columns = columns  # the same values, column by column
        self.features = features  # [Column], in header order, without the target
        self.target = target  # column name, or None

    def __len__(self):
        return len(self.rows)

    def column_values(self, name):
        return self._columns[self.header.index(name)]

    def feature_matrix(self):
        """An object array: numeric columns as floats (NaN when missing), categorical ones as text."""
        with _no_collection():
            return self._feature_matrix()

    def _feature_matrix(self):
        x = np.empty((len(self.rows), len(self.features)), dtype=object)
        for j, col in enumerate(self.features):
            values = self._columns[col.index]
            if col.kind == NUMERIC:
                as_float = {v: math.nan if v in MISSING else float(v) for v in set(values)}
            else:
                as_float = {v: MISSING_CATEGORY if v in MISSING else v for v in set(values)}
            x[:, j] = [as_float[v] for v in values]
        return x

    def labels(self):
        """Classification labels as text; whole numbers written as integers ("2.0" is the class "2")."""
        values = self.column_values(self.target)
        text = {v: label_text(v) for v in set(values)}
        return [text[v] for v in values]

    def targets(self):
        """Regression targets as floats."""
        values = self.column_values(self.target)
        as_float = {v: float(v) for v in set(values)}
        return np.array([as_float[v] for v in values], dtype=np.float64)


def label_text(value):
    if is_number(value):
        f = float(value)
        if f.is_integer():
            return str(int(f))
    return value


def sort_classes(labels):
    """Numerically when every class is a number, else as text."""
    unique = set(labels)
    if all(is_number(v) for v in unique):
        return sorted(unique, key=float)
    return sorted(unique)


def pick_file(folder, candidates):
    """The first of ``candidates`` present in ``folder``: a Problem names what is missing."""
    for name in candidates:
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    if len(candidates) == 1:
        raise Problem(os.path.join(folder, candidates[0]), "does not exist", hint=f"the data folder needs a {candidates[0]}")
    raise Problem(folder, f"has none of {', '.join(candidates)}", hint=f"the data folder needs a {candidates[0]}")


def read_records(path):
    """``(header line, header, rows, lines)``: every non-blank record, trimmed, after the whole file is decoded.

    Records are checked in file order as they are read: a quote problem or a
    field count other than the header's names the line its record starts on.
    """
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise Problem(path, "does not exist") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Problem(path, "is not UTF-8 text", hint="save it as UTF-8") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header, header_line, width = None, None, None
    rows, lines = [], []
    last_line = 0  # where the previous record ended: the next one starts on the line after
    strip = str.strip
    try:
        for row in reader:
            start, last_line = last_line + 1, reader.line_num
            if not row:
                continue
            if header is None:
                header, header_line, width = list(map(strip, row)), start, len(row)
            elif len(row) != width:
                raise Problem(path, f"has {len(row)} fields, the header has {width}", line=start, hint="a value that holds a comma must be in double quotes")
            else:
                rows.append(list(map(strip, row)))
                lines.append(start)
    except csv.Error as e:
        message, hint = _csv_error(e)
        raise Problem(path, message, line=last_line + 1, hint=hint) from None
    return header_line, header, rows, lines


def _csv_error(e):
    quote_hint = 'a quote inside a quoted value is written twice ("")'
    text = str(e)
    if "unexpected end of data" in text:
        return "has a quote that is never closed", quote_hint
    if "expected after" in text:
        return "has text after a closing quote", quote_hint
    return f"cannot be read as CSV ({text})", None


@contextlib.contextmanager
def _no_collection():
    """Without the cyclic collector while a table's millions of small objects are made: it would scan
    them again and again (a quarter of the reading time) and can find no cycle among them."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def read_table(path, task, target=None, target_optional=False, clusters=None, model=None):
    """Read and check a CSV for ``task``. Raises the first Problem, as TABLES.md orders them.

    ``target``: the column to predict (None: the model's, else the last column;
    clustering has none). ``target_optional``: a missing target column is
    fine, and its values are not checked (predict). ``clusters``: ``(param
    name, value)`` that may not exceed the row count. ``model``: the record of
    the model the rows are for; its features fix which columns are read and
    their kinds.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}")
    with _no_collection():
        return _read_table(path, task, target, target_optional, clusters, model)


def _read_table(path, task, target, target_optional, clusters, model):
    header_line, header, rows, lines = read_records(path)
    if header is None:
        raise Problem(path, "is empty", hint="a CSV needs a header row and at least one data row")
    if not rows:
        raise Problem(path, "has a header but no data rows")
    columns = list(zip(*rows))
    counts = [Counter(c) for c in columns]  # each distinct value is judged once
    kinds = [_column_kind(c) for c in counts]
    _check_header(path, header_line, header, counts, kinds)

    target = _target_column(path, header_line, header, task, target, target_optional, model)
    features = _feature_columns(path, header_line, header, target, kinds, model)
    _scan_values(path, header, columns, counts, lines, task, target, features, from_model=model is not None, check_target=not target_optional)
    table = Table(path, header, rows, lines, columns, features, target)

    if task == "classification" and target is not None and model is None:
        classes = set(table.labels())
        if len(classes) == 1:
            raise Problem(path, f'the target "{target}" has one class ("{classes.pop()}")', hint="a classifier needs at least two classes")
    if clusters is not None:
        param, k = clusters
        if len(rows) < k:
            raise Problem(path, f"has {len(rows)} rows, fewer than {param} ({k})", hint=f"lower {param}")
    return table


def _check_header(path, line, header, counts, kinds):
    # line 1 is data when every numeric column has a number there: a name is rarely a number
    numeric = [i for i, c in enumerate(counts) if kinds[i] == NUMERIC and any(v not in MISSING for v in c)]
    if numeric and all(NUMBER.match(header[i]) for i in numeric):
        raise Problem(path, f"has no header row: its first line is data ({','.join(header)[:60]})", line=line, hint="add a first line that names the columns")
    seen = set()
    for n, name in enumerate(header, 1):
        if name == "":
            raise Problem(path, f"column {n} has no name", line=line, hint="name every column in the first line")
        if name in seen:
            raise Problem(path, f'column "{name}" appears twice', line=line, hint="column names must be unique")
        seen.add(name)


def _column_kind(counts):
    """Numeric when numbers outnumber the other non-missing values (or there are none at all)."""
    numbers = others = 0
    for v, n in counts.items():
        if v in MISSING:
            continue
        if NUMBER.match(v):
            numbers += n
        else:
            others += n
    return NUMERIC if numbers > others or (numbers == 0 and others == 0) else CATEGORICAL


def _target_column(path, header_line, header, task, target, target_optional, model):
    if task == "clustering":
        return None
    if target is None or target == "":
        target = model["target"] if model and model.get("target") else header[-1]
    if target not in header:
        if target_optional:
            return None
        hint = did_you_mean(target, header) or "columns: " + ", ".join(header[:10]) + (", ..." if len(header) > 10 else "")
        raise Problem(path, f'has no column "{target}"', line=header_line, hint=hint)
    if len(header) == 1:
        raise Problem(path, f'has no feature columns, only the target "{target}"', line=header_line)
    return target


def _feature_columns(path, header_line, header, target, kinds, model):
    if model is not None:
        wanted = [f["name"] for f in model["features"]]
        missing = [n for n in wanted if n not in header]
        if missing:
            raise Problem(path, f"lacks the model's feature columns: {', '.join(missing)}", line=header_line, hint=f"the model was trained on: {', '.join(wanted)}")
        return [Column(f["name"], f["kind"], header.index(f["name"])) for f in model["features"]]
    return [Column(name, kinds[i], i) for i, name in enumerate(header) if name != target]


def _scan_values(path, header, columns, counts, lines, task, target, features, from_model, check_target):
    """The first bad value in file order (row by row, then column by column), as a Problem."""
    ti = header.index(target) if target is not None and check_target else None
    # with a model the kind is the model's, not the majority of this file's values
    why = "(the model reads this column as numbers)" if from_model else "(the column's other values are numbers)"
    checks = {c.index: _bad_number(c.name, why) for c in features if c.kind == NUMERIC}
    if ti is not None:
        checks[ti] = _bad_target(target, task)
    first = None  # (row, column, problem text, hint)
    for i, check in checks.items():
        bad = {}
        for v in counts[i]:
            why_bad = check(v)
            if why_bad:
                bad[v] = why_bad
        if not bad:
            continue
        values = columns[i]
        row = next(r for r, v in enumerate(values) if v in bad)
        if first is None or (row, i) < first[:2]:
            first = (row, i, *bad[values[row]])
    if first:
        raise Problem(path, first[2], line=lines[first[0]], hint=first[3])


def _bad_number(name, why):
    hint = "fix the value, or leave it empty to have it imputed"
    return lambda v: None if v in MISSING or NUMBER.match(v) else (f'column "{name}": "{v}" is not a number {why}', hint)


def _bad_target(target, task):
    def check(v):
        if v in MISSING:
            return f'the target "{target}" is empty', "every training row needs a value to learn"
        number = NUMBER.match(v)
        if task == "regression" and not number:
            return f'column "{target}": "{v}" is not a number', "a regression target must be numeric"
        if task == "classification" and number and not float(v).is_integer():
            return f'the target "{target}" holds a fraction ("{v}"): that is a regression target', "use a regression component, or a column of class labels"
        return None

    return check


def read_labeled_csv(path, target):
    """``(features, rows, labels)`` of a classification CSV with numeric features (a simple reader for scripts)."""
    table = read_table(path, "classification", target=target)
    categorical = [c.name for c in table.features if c.kind != NUMERIC]
    if categorical:
        raise Problem(path, f"has non-numeric feature columns: {', '.join(categorical)}", hint="this reader takes numbers only")
    x = table.feature_matrix().astype(np.float64)
    return [c.name for c in table.features], x.tolist(), table.labels()
