"""Fit a scikit-learn classifier on data_dir/train.csv and evaluate it on a held-out split.

    python3 train.py --data_dir DIR --output_path DIR [--target label]
        [--estimator logistic_regression] [--c_value 1.0] [--max_iter 500]
        [--test_size 0.25] [--seed 0]
"""

import argparse
import os
import pickle
import sys

import numpy as np

from aves2_runtime import events, metrics
from aves2_runtime.files import atomic_write_json
from aves2_runtime.tables import read_labeled_csv


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data_dir", required=True)
    p.add_argument("--output_path", required=True)
    p.add_argument("--target", default="label")
    p.add_argument("--estimator", default="logistic_regression")
    p.add_argument("--c_value", type=float, default=1.0)
    p.add_argument("--max_iter", type=int, default=500)
    p.add_argument("--test_size", type=float, default=0.25)
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def read_csv(path, target):
    features, rows, labels = read_labeled_csv(path, target)
    return np.array(rows), np.array(labels), features


def make_estimator(args):
    # imported here so that --help stays fast
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC
    from sklearn.tree import DecisionTreeClassifier

    choices = {
        "logistic_regression": lambda: make_pipeline(StandardScaler(), LogisticRegression(C=args.c_value, max_iter=args.max_iter)),
        "random_forest": lambda: RandomForestClassifier(n_estimators=200, random_state=args.seed),
        "gradient_boosting": lambda: GradientBoostingClassifier(random_state=args.seed),
        "svm": lambda: make_pipeline(StandardScaler(), SVC(C=args.c_value, max_iter=args.max_iter)),
        "decision_tree": lambda: DecisionTreeClassifier(random_state=args.seed),
    }
    if args.estimator not in choices:
        raise ValueError(f"unknown estimator {args.estimator!r} (one of {', '.join(choices)})")
    return choices[args.estimator]()


def main(argv=None):
    args = parse_args(argv)
    from sklearn.model_selection import train_test_split

    try:
        x, y, features = read_csv(os.path.join(args.data_dir, "train.csv"), args.target)
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    classes = sorted(set(y))
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=args.test_size, random_state=args.seed, stratify=y)
    print(f"data: {len(x_train)} train / {len(x_test)} test rows, {len(features)} features, {len(classes)} classes", flush=True)

    model = make_estimator(args).fit(x_train, y_train)
    index = {c: i for i, c in enumerate(classes)}
    cm = metrics.confusion_matrix([index[c] for c in y_test], [index[c] for c in model.predict(x_test)], len(classes))
    accuracy = metrics.top1(cm)
    events.metric(1, 1, accuracy=accuracy, train_accuracy=float(model.score(x_train, y_train)))
    print(f"{args.estimator}: test accuracy {accuracy:.4f}", flush=True)

    os.makedirs(args.output_path, exist_ok=True)
    with open(os.path.join(args.output_path, "model.pkl"), "wb") as f:
        pickle.dump({"model": model, "features": features, "target": args.target, "classes": classes}, f)
    atomic_write_json(
        os.path.join(args.output_path, "metrics.json"),
        {"estimator": args.estimator, "accuracy": accuracy, "per_class": metrics.per_class_report(cm, classes)},
    )
    events.summary(accuracy=accuracy, estimator=args.estimator)
    return 0


if __name__ == "__main__":
    sys.exit(main())
