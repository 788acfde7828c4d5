"""AdaBoost classifier: replaces AVES2's ml/classification/adaboost (same args)."""

import sys

from aves2_runtime.tabular import Arg, train_main
from aves2_runtime.tabular.estimator_args import ADABOOST

ARGS = [Arg("algorithm", "choice", "SAMME", choices=["SAMME", "SAMME.R"]), *ADABOOST]


def build(a):
    from sklearn.ensemble import AdaBoostClassifier

    return AdaBoostClassifier(algorithm=a.algorithm, n_estimators=a.n_estimators, learning_rate=a.learning_rate, random_state=a.seed)


if __name__ == "__main__":
    sys.exit(train_main("classification", "adaboost-classifier", build, ARGS))
