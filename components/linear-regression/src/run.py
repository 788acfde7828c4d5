"""Linear regression (ordinary least squares): replaces AVES2's ml/regression/linearReg (same args)."""

import sys

from aves2_runtime.tabular import Arg, train_main

ARGS = [
    Arg("fit_intercept", "bool", True),
    # scikit-learn removed it in 1.2; least squares predicts the same with or without it
    Arg("normalize", "bool", False, "accepted for old job files; changes no prediction"),
]


def build(a):
    from sklearn.linear_model import LinearRegression

    return LinearRegression(fit_intercept=a.fit_intercept)


if __name__ == "__main__":
    sys.exit(train_main("regression", "linear-regression", build, ARGS))
