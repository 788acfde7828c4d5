"""Evaluate a regression model on val.csv: replaces AVES2's ml/regression/val_regression (same args)."""

import sys

from aves2_runtime.tabular import evaluate_main

if __name__ == "__main__":
    sys.exit(evaluate_main("regression", "regression-evaluate"))
