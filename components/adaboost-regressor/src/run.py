"""AdaBoost regressor: replaces AVES2's ml/regression/adaboost (same args)."""

import sys

from aves2_runtime.tabular import Arg, train_main
from aves2_runtime.tabular.estimator_args import ADABOOST

ARGS = [Arg("loss", "choice", "linear", choices=["linear", "square", "exponential"]), *ADABOOST]


def build(a):
    from sklearn.ensemble import AdaBoostRegressor

    return AdaBoostRegressor(loss=a.loss, n_estimators=a.n_estimators, learning_rate=a.learning_rate, random_state=a.seed)


if __name__ == "__main__":
    sys.exit(train_main("regression", "adaboost-regressor", build, ARGS))
