"""Support vector regression: replaces AVES2's ml/regression/svr (same args)."""

import sys

from aves2_runtime.tabular import Arg, train_main
from aves2_runtime.tabular.estimator_args import SVM

ARGS = [*SVM, Arg("epsilon", "float", 0.1, "errors smaller than this cost nothing", minimum=0.0)]


def build(a):
    from sklearn.svm import SVR

    return SVR(kernel=a.kernel, gamma=a.gamma, C=a.c_value, max_iter=a.max_iter, degree=a.degree, epsilon=a.epsilon)


if __name__ == "__main__":
    sys.exit(train_main("regression", "svr", build, ARGS))
