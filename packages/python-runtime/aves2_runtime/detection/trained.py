"""A trained detector from a ``--model_dir``: object-detection's output_path (model.pt),
or a file. Anything else (an image classifier's checkpoint, the upstream's TensorFlow
frozen graph, a tabular model) is refused with one line saying what it is."""

import os

from ..problems import Problem
from ..vision import checkpoints
from . import models

TASK = "object-detection"


def model_file(model_dir, what="--model_dir"):
    if os.path.isfile(model_dir):
        return model_dir
    if not os.path.isdir(model_dir):
        raise Problem(model_dir, f"{what} does not exist")
    named = checkpoints.named_model(model_dir)
    if named:
        return named
    files = checkpoints.torch_files(model_dir)
    if files:
        return files[0]
    if os.path.isfile(os.path.join(model_dir, "frozen_inference_graph.pb")):
        raise Problem(model_dir, f"{what} holds the upstream's TensorFlow frozen graph, which this component cannot run", hint="train with object-detection and give its output_path")
    raise Problem(model_dir, f"{what} has no model.pt", hint="give the output_path of an object-detection run, e.g. run:<id>/output_path")


def load(model_dir, what="--model_dir"):
    """(model on the CPU in eval mode, the checkpoint's metadata)."""
    path = model_file(model_dir, what)
    payload = checkpoints.load(path, what)
    if not isinstance(payload, dict) or payload.get("task") != TASK:
        if isinstance(payload, dict) and "num_class" in payload and "model_name" in payload:
            raise Problem(path, f"is an image-classification checkpoint ({payload['model_name']}, {payload['num_class']} classes), not an object detector",
                          hint="give the output_path of an object-detection run, e.g. --input model_dir=run:<id>/output_path")
        raise Problem(path, "is not an object-detection checkpoint (it has no task, model_name and classes)", hint="give the output_path of an object-detection run")
    name = payload.get("model_name")
    try:
        models.net(name)
    except Problem as p:
        raise Problem(path, f"names the model {name}, which this version does not have", hint=p.hint) from None
    model = models.build(name, int(payload["num_class"]), int(payload.get("image_size") or 0))
    try:
        model.load_state_dict(payload["state_dict"])
    except (RuntimeError, KeyError) as e:
        raise Problem(path, f"its weights do not fit {name} with {payload['num_class']} classes ({str(e).splitlines()[0]})") from None
    model.eval()
    return model, payload
