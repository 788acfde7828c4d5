"""Decision tree regressor: replaces AVES2's ml/regression/decisionTree (same args)."""

import sys

from aves2_runtime.tabular import Arg, train_main
from aves2_runtime.tabular.estimator_args import TREE

ARGS = [
    Arg("criterion", "choice", "squared_error", choices=["squared_error", "friedman_mse", "absolute_error", "poisson"], renames={"mse": "squared_error", "mae": "absolute_error"}),
    *TREE,
]


def build(a):
    from sklearn.tree import DecisionTreeRegressor

    return DecisionTreeRegressor(criterion=a.criterion, max_depth=a.max_depth, min_samples_split=a.min_samples_split, random_state=a.seed)


if __name__ == "__main__":
    sys.exit(train_main("regression", "decision-tree-regressor", build, ARGS))
