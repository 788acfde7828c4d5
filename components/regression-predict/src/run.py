"""Predict with a regression model: replaces AVES2's ml/regression/test_regression (same args)."""

import sys

from aves2_runtime.tabular import predict_main

if __name__ == "__main__":
    sys.exit(predict_main("regression", "regression-predict"))
