"""What every tabular entry does around its work: bad input becomes one
``error:`` line and exit code 2, library warnings become one line each, and
the output folder is written only once every input has been read and checked."""

import time
import warnings

from .. import events
from ..problems import Problem, exit_with


# keep_empty_features (SimpleImputer) and sparse_output (OneHotEncoder) came in 1.2
OLDEST_SKLEARN = (1, 2)


def require_sklearn():
    """An image with an older scikit-learn than the family needs is one clear line, not a TypeError deep in a fit."""
    import sklearn

    have = tuple(int(p) for p in sklearn.__version__.split(".")[:2] if p.isdigit())
    if have < OLDEST_SKLEARN:
        exit_with(Problem("scikit-learn", f"{sklearn.__version__} is too old: the tabular components need {'.'.join(map(str, OLDEST_SKLEARN))} or newer", hint="use an image with a newer scikit-learn"))


def warn_if_other_sklearn(record):
    """A model unpickled by another scikit-learn than the one that trained it may predict differently."""
    import sklearn

    trained = (record.get("versions") or {}).get("sklearn")
    if trained and trained != sklearn.__version__:
        print(f"warning: the model was trained with scikit-learn {trained}, this is {sklearn.__version__}: its predictions may differ", flush=True)


def fit_or_refuse(fit, estimator):
    """``fit()``; a ValueError from scikit-learn (a param it rejects, e.g. exponential loss on
    three classes) is bad input: one line naming the estimator, exit code 2."""
    try:
        return fit()
    except ValueError as e:
        exit_with(Problem(type(estimator).__name__, " ".join(str(e).split()), hint="check the params"))


def plain_warnings():
    """scikit-learn's warnings as ``warning: <text>``, once each, without its file paths."""
    seen = set()

    def show(message, category, filename, lineno, file=None, line=None):
        text = " ".join(str(message).split())
        if text in seen:
            return
        seen.add(text)
        print(f"warning: {category.__name__}: {text}", flush=True)

    warnings.showwarning = show


def announce(result):
    """The run's events: result.json's numbers as one metric and as the summary (what `component run` shows and keeps)."""
    scalars = {k: v for k, v in result.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    events.metric(1, 1, **scalars)
    events.summary(**scalars)
    return scalars


class Stopwatch:
    def __init__(self):
        self.started = time.perf_counter()

    def seconds(self):
        return round(time.perf_counter() - self.started, 4)
