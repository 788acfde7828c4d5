"""Support vector classifier: replaces AVES2's ml/classification/svm (same args)."""

import sys

from aves2_runtime.tabular import train_main
from aves2_runtime.tabular.estimator_args import SVM

ARGS = SVM


def build(a):
    from sklearn.svm import SVC

    return SVC(kernel=a.kernel, gamma=a.gamma, C=a.c_value, max_iter=a.max_iter, degree=a.degree, random_state=a.seed)


if __name__ == "__main__":
    sys.exit(train_main("classification", "svm-classifier", build, ARGS))
