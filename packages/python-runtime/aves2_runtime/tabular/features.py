"""The transform from a table's columns to the numbers an estimator sees.

Numeric columns: missing values imputed with the training median.
Categorical columns: one-hot encoded, a category unseen in training encoding
as all zeros. Both are steps of the saved pipeline, so predict applies
exactly what training fitted. Only scikit-learn's own classes are used, so a
saved model needs nothing of this package to load.
"""

import numpy as np

from ..tables import CATEGORICAL, NUMERIC


def preprocessor(columns, standardize=False):
    """A ColumnTransformer for ``columns`` (tables.Column, in matrix order)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    numeric = [j for j, c in enumerate(columns) if c.kind == NUMERIC]
    categorical = [j for j, c in enumerate(columns) if c.kind == CATEGORICAL]
    parts = []
    if numeric:
        # the matrix is an object array (numbers beside text): make the numeric block float first
        steps = [FunctionTransformer(np.asarray, kw_args={"dtype": np.float64}), SimpleImputer(strategy="median", keep_empty_features=True)]
        if standardize:
            steps.append(StandardScaler())
        parts.append(("numeric", make_pipeline(*steps), numeric))
    if categorical:
        parts.append(("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical))
    return ColumnTransformer(parts, sparse_threshold=0.0)


def describe(columns, fitted):
    """The model record's ``features``: kind, and the imputed value or the categories learnt."""
    medians = {}
    categories = {}
    for name, step, idx in fitted.transformers_:
        if name == "numeric":
            imputer = step.named_steps["simpleimputer"]
            medians = dict(zip(idx, imputer.statistics_))
        elif name == "categorical":
            categories = dict(zip(idx, step.categories_))
    out = []
    for j, c in enumerate(columns):
        if c.kind == NUMERIC:
            m = float(medians[j]) if j in medians else None
            out.append({"name": c.name, "kind": NUMERIC, "impute": None if m is None or np.isnan(m) else m})
        else:
            out.append({"name": c.name, "kind": CATEGORICAL, "categories": [str(v) for v in categories.get(j, [])]})
    return out


def summary(columns):
    """e.g. "4 features (3 numeric, 1 categorical)"."""
    n = sum(1 for c in columns if c.kind == NUMERIC)
    return f"{len(columns)} feature{'s' if len(columns) != 1 else ''} ({n} numeric, {len(columns) - n} categorical)"
