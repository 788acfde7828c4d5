"""Decision tree classifier: replaces AVES2's ml/classification/decisionTree (same args)."""

import sys

from aves2_runtime.tabular import Arg, train_main
from aves2_runtime.tabular.estimator_args import TREE

ARGS = [Arg("criterion", "choice", "entropy", choices=["gini", "entropy", "log_loss"]), *TREE]


def build(a):
    from sklearn.tree import DecisionTreeClassifier

    return DecisionTreeClassifier(criterion=a.criterion, max_depth=a.max_depth, min_samples_split=a.min_samples_split, random_state=a.seed)


if __name__ == "__main__":
    sys.exit(train_main("classification", "decision-tree-classifier", build, ARGS))
