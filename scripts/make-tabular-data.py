#!/usr/bin/env python3
"""Generate the sample datasets of the tabular (scikit-learn) components.

Everything comes from data that ships with scikit-learn (its bundled CSVs and
the OpenML files of its own test suite) or from its seeded generators, so
nothing is downloaded and every run writes the same bytes:

    components/<name>/data/{train,val,test,data}.csv

Each training component gets train.csv and val.csv; an evaluate component
the val.csv (rows its training component never saw), a predict component a
test.csv; a clustering component data.csv. The target is the last column.

Usage: /usr/bin/python3 scripts/make-tabular-data.py [--only NAME ...]
"""

import argparse
import csv
import glob
import gzip
import math
import os

import numpy as np
from sklearn import datasets

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPENML = os.path.join(os.path.dirname(datasets.__file__), "tests", "data", "openml")


# --- sources ---------------------------------------------------------------


def iris():
    d = datasets.load_iris()
    names = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    return names + ["species"], [list(x) + [d.target_names[t]] for x, t in zip(d.data, d.target)]


def wine():
    d = datasets.load_wine()
    names = [n.replace("/", "_").replace(" ", "_").lower() for n in d.feature_names]
    # class labels as the numbers 1-3, as in the UCI file: whole-number labels are classes too
    return names + ["cultivar"], [list(x) + [int(t) + 1] for x, t in zip(d.data, d.target)]


def breast_cancer():
    d = datasets.load_breast_cancer()
    names = [n.replace(" ", "_") for n in d.feature_names]
    return names + ["diagnosis"], [list(x) + [d.target_names[t]] for x, t in zip(d.data, d.target)]


def diabetes():
    d = datasets.load_diabetes(scaled=False)
    names = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
    return names + ["progression"], [list(x) + [t] for x, t in zip(d.data, d.target)]


def openml(dataset_id):
    """An OpenML ARFF file of scikit-learn's test data: (header, rows), None for missing values."""
    from sklearn.externals import _arff

    path = glob.glob(os.path.join(OPENML, f"id_{dataset_id}", "*.arff.gz"))[0]
    with gzip.open(path, "rt", encoding="utf-8") as f:
        arff = _arff.loads(f.read())
    return [a[0] for a in arff["attributes"]], arff["data"]


def pick(source, columns):
    header, rows = source
    idx = [header.index(c) for c in columns]
    return list(columns), [[r[i] for i in idx] for r in rows]


def titanic():
    header, rows = pick(openml(40945), ["pclass", "sex", "age", "sibsp", "parch", "fare", "embarked", "survived"])
    return header, [[int(r[0])] + r[1:7] + [int(r[7])] for r in rows]


def penguins_species():
    return pick(openml(42585), ["island", "culmen_length_mm", "culmen_depth_mm", "flipper_length_mm", "body_mass_g", "sex", "species"])


def penguins_mass():
    header, rows = pick(openml(42585), ["species", "island", "sex", "culmen_length_mm", "culmen_depth_mm", "flipper_length_mm", "body_mass_g"])
    return header, [r for r in rows if r[-1] is not None]  # a regression row needs its target


def chess():
    """kr-vs-kp: 36 categorical board features, will white win (won/nowin)."""
    return openml(3)


def cpu():
    header, rows = openml(561)
    return header[:-1] + ["performance"], rows


def friedman(which, n, noise, seed):
    make = {1: datasets.make_friedman1, 2: datasets.make_friedman2}[which]
    kw = {"n_features": 10} if which == 1 else {}
    x, y = make(n_samples=n, noise=noise, random_state=seed, **kw)
    return [f"x{i + 1}" for i in range(x.shape[1])] + ["y"], [list(a) + [b] for a, b in zip(x, y)]


def blobs(n, centers, std, seed, noise=0, columns=("x", "y")):
    x, _ = datasets.make_blobs(n_samples=n, centers=np.array(centers, dtype=float), cluster_std=std, random_state=seed)
    if noise:
        rng = np.random.RandomState(seed)
        lo, hi = x.min(axis=0) - 1, x.max(axis=0) + 1
        x = np.vstack([x, rng.uniform(lo, hi, size=(noise, x.shape[1]))])
    return list(columns), [list(r) for r in x]


def stretched(n, seed):
    """Two elongated, tilted Gaussian clusters: what a full-covariance mixture separates."""
    rng = np.random.RandomState(seed)
    a = rng.multivariate_normal([0, 0], [[4.0, 1.8], [1.8, 1.0]], size=n // 2)
    b = rng.multivariate_normal([1.5, 4.5], [[4.0, 1.8], [1.8, 1.0]], size=n - n // 2)
    return ["u", "v"], [list(r) for r in np.vstack([a, b])]


def features_only(source):
    header, rows = source
    return header[:-1], [r[:-1] for r in rows]


# --- splits ----------------------------------------------------------------


def shuffled(rows, seed):
    order = np.random.RandomState(seed).permutation(len(rows))
    return [rows[i] for i in order]


def split(source, shares, seed=0):
    """Consecutive slices of a seeded shuffle, e.g. shares (0.6, 0.2, 0.2)."""
    header, rows = source
    rows = shuffled(rows, seed)
    out, start = [], 0
    for k, share in enumerate(shares):
        end = len(rows) if k == len(shares) - 1 else start + int(round(share * len(rows)))
        out.append((header, rows[start:end]))
        start = end
    return out


# --- writing ---------------------------------------------------------------


def cell(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, (float, np.floating)):
        v = float(v)
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else f"{v:.6g}"
    return str(v)


def write(component, name, source):
    folder = os.path.join(REPO_ROOT, "components", component, "data")
    os.makedirs(folder, exist_ok=True)
    header, rows = source
    with open(os.path.join(folder, name), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow([cell(v) for v in r])
    return f"{component}/data/{name}: {len(rows)} rows"


def train_val(component, source, shares=(0.8, 0.2), seed=0):
    train, val = split(source, shares, seed)
    return [write(component, "train.csv", train), write(component, "val.csv", val)]


def train_val_and(component, source, other, other_file, seed=0):
    """train.csv + val.csv for ``component``, and the last fifth for ``other`` (an evaluate or predict component)."""
    train, val, rest = split(source, (0.6, 0.2, 0.2), seed)
    return [write(component, "train.csv", train), write(component, "val.csv", val), write(other, other_file, rest)]


SAMPLES = {
    "logistic-regression": lambda: train_val("logistic-regression", iris()),
    "decision-tree-classifier": lambda: train_val("decision-tree-classifier", penguins_species()),
    "random-forest-classifier": lambda: train_val_and("random-forest-classifier", breast_cancer(), "classification-evaluate", "val.csv"),
    "gbdt-classifier": lambda: train_val_and("gbdt-classifier", titanic(), "classification-predict", "test.csv"),
    "svm-classifier": lambda: train_val("svm-classifier", wine()),
    "adaboost-classifier": lambda: train_val("adaboost-classifier", (chess()[0], shuffled(chess()[1], 1)[:1600])),
    "linear-regression": lambda: train_val_and("linear-regression", diabetes(), "regression-evaluate", "val.csv"),
    "decision-tree-regressor": lambda: train_val("decision-tree-regressor", cpu()),
    "random-forest-regressor": lambda: train_val("random-forest-regressor", friedman(1, 600, 1.0, 0)),
    "gbdt-regressor": lambda: train_val_and("gbdt-regressor", penguins_mass(), "regression-predict", "test.csv"),
    "svr": lambda: train_val("svr", friedman(1, 400, 0.5, 3)),
    "adaboost-regressor": lambda: train_val("adaboost-regressor", friedman(2, 500, 50.0, 1)),
    "kmeans": lambda: [write("kmeans", "data.csv", features_only(iris()))],
    "dbscan": lambda: [write("dbscan", "data.csv", blobs(360, [(0, 0), (2.5, 2.5), (5, 0)], 0.3, 0, noise=24))],
    "gmm": lambda: [write("gmm", "data.csv", stretched(300, 0))],
    "birch": lambda: [write("birch", "data.csv", blobs(450, [(0, 0, 0), (4, 4, 0), (0, 4, 4)], 0.8, 1, columns=("a", "b", "c")))],
    "agglomerative-clustering": lambda: [write("agglomerative-clustering", "data.csv", blobs(200, [(0, 0), (3, 3)], 0.7, 2, columns=("width", "height")))],
    "mean-shift": lambda: [write("mean-shift", "data.csv", blobs(300, [(0, 0), (4, 0), (2, 3.5)], 0.6, 3))],
    "spectral-clustering": lambda: [write("spectral-clustering", "data.csv", blobs(240, [(0, 0), (3, 0), (1.5, 2.6)], 0.45, 4))],
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="components to write (default: all)")
    args = parser.parse_args()
    for name in args.only or SAMPLES:
        for line in SAMPLES[name]():
            print(line)


if __name__ == "__main__":
    main()
