"""Tabular inputs: a CSV with a header row and one target column."""

import csv


def read_labeled_csv(path, target):
    """Return ``(features, rows, labels)`` of a CSV whose ``target`` column holds the labels.

    ``features`` are the other column names, ``rows`` their values as floats
    (one list per line), ``labels`` the target values as strings. Blank lines
    are skipped. A missing target column is a ValueError naming the columns,
    so a wrong ``--target`` fails before any training starts.
    """
    with open(path, newline="") as f:
        lines = [r for r in csv.reader(f) if r]
    if not lines:
        raise ValueError(f"{path} is empty")
    header, body = lines[0], lines[1:]
    if target not in header:
        raise ValueError(f"{path} has no column {target!r} (columns: {', '.join(header)})")
    t = header.index(target)
    features = [h for i, h in enumerate(header) if i != t]
    rows = [[float(v) for i, v in enumerate(r) if i != t] for r in body]
    labels = [r[t] for r in body]
    return features, rows, labels
