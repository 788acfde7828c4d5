"""Random forest classifier: replaces AVES2's ml/classification/randomForest (same args)."""

import sys

from aves2_runtime.tabular import train_main
from aves2_runtime.tabular.estimator_args import FOREST

ARGS = FOREST


def build(a):
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=a.n_estimators, n_jobs=a.n_jobs or None, max_depth=a.max_depth, random_state=a.seed)


if __name__ == "__main__":
    sys.exit(train_main("classification", "random-forest-classifier", build, ARGS))
