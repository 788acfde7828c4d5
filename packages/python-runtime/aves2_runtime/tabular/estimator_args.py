"""Args that a classifier and its regressor twin share (the upstream gave both the same
names): declared once here, so that the two components cannot drift apart."""

from .args import Arg

TREE = [
    Arg("max_depth", "int", None, "deepest level of the tree (None: no limit)", nullable=True, minimum=1),
    Arg("min_samples_split", "int", 2, minimum=2),
]

FOREST = [
    Arg("n_estimators", "int", 100, "trees in the forest", minimum=1),
    Arg("n_jobs", "int", 1, "trees fitted at once (-1: one per core)", minimum=-1),
    Arg("max_depth", "int", None, "deepest level of each tree (None: no limit)", nullable=True, minimum=1),
]

BOOSTING = [
    Arg("n_estimators", "int", 100, "boosting stages", minimum=1),
    Arg("learning_rate", "float", 0.1, "shrinks each stage's contribution", minimum=1e-12),
    Arg("max_depth", "int", 3, "depth of each tree", minimum=1),
]

ADABOOST = [
    Arg("n_estimators", "int", 50, "boosting stages", minimum=1),
    Arg("learning_rate", "float", 1.0, "shrinks each stage's contribution", minimum=1e-12),
]

SVM = [
    Arg("kernel", "choice", "linear", choices=["linear", "poly", "rbf", "sigmoid"]),
    Arg("gamma", "float", 1.0, "kernel coefficient of rbf, poly and sigmoid", minimum=1e-12),
    Arg("c_value", "float", 1.0, "inverse regularization strength", minimum=1e-12),
    Arg("max_iter", "int", -1, "solver iteration limit (-1: none)", minimum=-1),
    Arg("degree", "int", 3, "degree of the poly kernel", minimum=1),
    Arg("standardize", "bool", False, "scale numeric columns to mean 0, variance 1 first"),
]
