"""Evaluate a classification model on val.csv: replaces AVES2's ml/classification/val_classification (same args)."""

import sys

from aves2_runtime.tabular import evaluate_main

if __name__ == "__main__":
    sys.exit(evaluate_main("classification", "classification-evaluate"))
