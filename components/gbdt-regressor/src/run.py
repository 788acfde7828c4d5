"""Gradient-boosted trees regressor: replaces AVES2's ml/regression/gbdt (same args)."""

import sys

from aves2_runtime.tabular import Arg, train_main
from aves2_runtime.tabular.estimator_args import BOOSTING

ARGS = [
    Arg("loss", "choice", "squared_error", choices=["squared_error", "absolute_error", "huber", "quantile"], renames={"ls": "squared_error", "lad": "absolute_error"}),
    *BOOSTING,
]


def build(a):
    from sklearn.ensemble import GradientBoostingRegressor

    return GradientBoostingRegressor(loss=a.loss, n_estimators=a.n_estimators, learning_rate=a.learning_rate, max_depth=a.max_depth, random_state=a.seed)


if __name__ == "__main__":
    sys.exit(train_main("regression", "gbdt-regressor", build, ARGS))
