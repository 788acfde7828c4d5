"""The tabular (scikit-learn) family: what its components share.

A component's entry is short: it declares its own args and how to build its
estimator, and hands over to one of these::

    from aves2_runtime.tabular import Arg, train_main
    train_main("classification", "random-forest-classifier", build, ARGS)

Reading and checking tables lives in ``aves2_runtime.tables``; the transform
(imputation, one-hot encoding) in ``features``; the model folder with its
SHA-256 record in ``model_store``; metrics and result files in ``report``.
scikit-learn is imported by the functions that use it.
"""

from .args import Arg
from .clustering import cluster_main
from .supervised import evaluate_main, predict_main, train_main

__all__ = ["Arg", "cluster_main", "evaluate_main", "predict_main", "train_main"]
