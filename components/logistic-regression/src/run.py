"""Logistic regression: replaces AVES2's ml/classification/logisticReg (same args)."""

import sys

from aves2_runtime.problems import Problem
from aves2_runtime.tabular import Arg, train_main

ARGS = [
    Arg("penalty", "choice", "l2", choices=["l1", "l2", "elasticnet", "none"]),
    Arg("c_value", "float", 1.0, "inverse regularization strength", minimum=1e-12),
    Arg("solver", "choice", "liblinear", choices=["newton-cg", "lbfgs", "liblinear", "sag", "saga"]),
    Arg("max_iter", "int", 100, minimum=1),
    Arg("l1_ratio", "float", 0.5, "the l1 share of an elasticnet penalty", minimum=0.0, maximum=1.0),
    Arg("standardize", "bool", False, "scale numeric columns to mean 0, variance 1 first"),
]

# which solvers take which penalty (scikit-learn's rules, checked before fitting)
SOLVERS = {"l1": ["liblinear", "saga"], "l2": ["newton-cg", "lbfgs", "liblinear", "sag", "saga"], "elasticnet": ["saga"], "none": ["newton-cg", "lbfgs", "sag", "saga"]}


def build(a):
    if a.solver not in SOLVERS[a.penalty]:
        raise Problem("--solver", f"{a.solver} does not support the {a.penalty} penalty", hint=f"with --penalty {a.penalty} use {' or '.join(SOLVERS[a.penalty])}")
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(
        penalty=a.penalty, C=a.c_value, solver=a.solver, max_iter=a.max_iter, random_state=a.seed,
        l1_ratio=a.l1_ratio if a.penalty == "elasticnet" else None,
    )


if __name__ == "__main__":
    sys.exit(train_main("classification", "logistic-regression", build, ARGS))
