"""The model folder: ``model.joblib`` and the record ``model.json`` beside it.

A pickled model is code when loaded. So a model is loaded only from a folder
whose record is ours and whose SHA-256 matches the file: anything else (an
upstream ``model.m``, a file swapped or damaged after training) is refused
before a byte of it is unpickled. The digest is what the training run wrote;
it does not make a folder from an untrusted source safe, only a folder that
is what training left.
"""

import datetime
import hashlib
import io
import json
import os
import platform

from ..files import atomic_write, atomic_write_json
from ..problems import Problem

FORMAT = "aves2-sklearn-model/1"
MODEL_FILE = "model.joblib"
RECORD_FILE = "model.json"

# which evaluate/predict component reads a model of each task, for hints
READERS = {
    "classification": ("classification-evaluate", "classification-predict"),
    "regression": ("regression-evaluate", "regression-predict"),
    "clustering": (None, None),
}


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save(folder, model, record):
    """Write the model, then its record (digest, size, versions, time) last."""
    import joblib

    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, MODEL_FILE)
    atomic_write(path, lambda tmp: joblib.dump(model, tmp))
    full = {
        "format": FORMAT,
        "file": MODEL_FILE,
        "sha256": sha256_of(path),
        "bytes": os.path.getsize(path),
        **record,
        "versions": _versions(),
        "created": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
    }
    atomic_write_json(os.path.join(folder, RECORD_FILE), full)
    return full


def read_record(folder, task):
    """The checked record of the model in ``folder`` for ``task`` (raises a Problem naming the folder)."""
    path = os.path.join(folder, RECORD_FILE)
    if not os.path.isfile(path):
        raise Problem(
            folder,
            f"has no {RECORD_FILE}: it holds no model written by this catalog's training components",
            hint="train one, then pass --input model_dir=run:<run-id>/output_path",
        )
    why = _record_problem(path)
    if isinstance(why, str):
        raise Problem(folder, f"{RECORD_FILE} is not a model record of this catalog ({why})", hint="train the model again with a component of this catalog")
    record = why
    if record["task"] != task:
        reader = READERS[record["task"]]
        use = " or ".join(r for r in reader if r)
        component = record.get("component") if isinstance(record.get("component"), str) else "an unknown component"
        raise Problem(
            folder,
            f"holds a {record['task']} model (trained by {component}), not a {task} model",
            hint=f"use {use}" if use else "a clustering model has no evaluate or predict component",
        )
    return record


def _record_problem(path):
    """The record, or why it is not one of ours (the texts TABLES.md fixes, so the TS preflight says the same)."""
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
        if text.startswith("\ufeff"):
            return "not JSON"
        record = json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError):
        return "not JSON"
    if not isinstance(record, dict):
        return "not a JSON object"
    if not isinstance(record.get("format"), str):
        return 'no "format"'
    if record["format"] != FORMAT:
        return f'format "{record["format"]}", not "{FORMAT}"'
    for key in ("file", "sha256", "task"):
        if key not in record:
            return f'no "{key}"'
        if not isinstance(record[key], str):
            return f'"{key}" is not a string'
    if record["task"] not in READERS:
        return f'unknown task "{record["task"]}"'
    if "features" not in record:
        return 'no "features"'
    features = record["features"]
    if not isinstance(features, list) or not all(
        isinstance(f, dict) and isinstance(f.get("name"), str) and f.get("kind") in ("numeric", "categorical") for f in features
    ):
        return '"features" is not a list of {name, kind}'
    return record


def verify(folder, task):
    """The record, once the model file it names is there and has the SHA-256 it records. Nothing is unpickled."""
    record = read_record(folder, task)
    file = os.path.basename(record["file"])  # never a path out of the folder
    path = os.path.join(folder, file)
    if not os.path.isfile(path):
        raise Problem(folder, f"{RECORD_FILE} names {file}, which is not there", hint="copy the whole output folder of the training run")
    actual = sha256_of(path)
    if actual != record["sha256"]:
        raise Problem(
            folder,
            f"{file} does not match {RECORD_FILE} (SHA-256 {actual[:12]} ≠ {record['sha256'][:12]}): it was changed or damaged after training",
            hint="train again, or copy the model folder as a whole",
        )
    return record


def load(folder, record):
    """The model a ``verify``-ed record names. Check the digest again right before unpickling, so a file
    swapped between the two calls is refused too."""
    file = os.path.basename(record["file"])
    path = os.path.join(folder, file)
    with open(path, "rb") as f:
        data = f.read()
    if hashlib.sha256(data).hexdigest() != record["sha256"]:
        raise Problem(folder, f"{file} changed while it was being checked", hint="run again")
    import joblib

    return joblib.load(io.BytesIO(data))


def _versions():
    import numpy
    import sklearn

    return {"python": platform.python_version(), "sklearn": sklearn.__version__, "numpy": numpy.__version__}
