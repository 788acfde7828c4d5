"""Gradient-boosted trees classifier: replaces AVES2's ml/classification/gbdt (same args)."""

import sys

from aves2_runtime.tabular import Arg, train_main
from aves2_runtime.tabular.estimator_args import BOOSTING

ARGS = [Arg("loss", "choice", "log_loss", choices=["log_loss", "exponential"], renames={"deviance": "log_loss"}), *BOOSTING]


def build(a):
    from sklearn.ensemble import GradientBoostingClassifier

    return GradientBoostingClassifier(loss=a.loss, n_estimators=a.n_estimators, learning_rate=a.learning_rate, max_depth=a.max_depth, random_state=a.seed)


if __name__ == "__main__":
    sys.exit(train_main("classification", "gbdt-classifier", build, ARGS))
