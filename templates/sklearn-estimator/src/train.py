"""Fit a scikit-learn classifier on data_dir/train.csv and score it on val.csv (else a held-out share).

    python3 train.py --data_dir DIR --output_path DIR [--target label]
        [--estimator logistic_regression] [--c_value 1.0] [--max_iter 500] [--val_split 0.2] [--seed 0]

Reading the CSV (categorical columns one-hot encoded, missing values
imputed), scoring, and saving the model with its SHA-256 record are the
catalog's shared tabular code (aves2_runtime.tabular): this file only says
which estimator to fit.
"""

import sys

from aves2_runtime.tabular import Arg, train_main

ARGS = [
    Arg("estimator", "choice", "logistic_regression", choices=["logistic_regression", "random_forest", "gradient_boosting", "svm", "decision_tree"]),
    Arg("c_value", "float", 1.0, "inverse regularisation strength", minimum=1e-6),
    Arg("max_iter", "int", 500, minimum=1, maximum=100000),
]


def build(a):
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC
    from sklearn.tree import DecisionTreeClassifier

    return {
        "logistic_regression": lambda: make_pipeline(StandardScaler(), LogisticRegression(C=a.c_value, max_iter=a.max_iter)),
        "random_forest": lambda: RandomForestClassifier(n_estimators=200, random_state=a.seed),
        "gradient_boosting": lambda: GradientBoostingClassifier(random_state=a.seed),
        "svm": lambda: make_pipeline(StandardScaler(), SVC(C=a.c_value, max_iter=a.max_iter, random_state=a.seed)),
        "decision_tree": lambda: DecisionTreeClassifier(random_state=a.seed),
    }[a.estimator]()


if __name__ == "__main__":
    sys.exit(train_main("classification", "{{name}}", build, ARGS))
