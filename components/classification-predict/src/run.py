"""Predict with a classification model: replaces AVES2's ml/classification/test_classification (same args)."""

import sys

from aves2_runtime.tabular import predict_main

if __name__ == "__main__":
    sys.exit(predict_main("classification", "classification-predict"))
