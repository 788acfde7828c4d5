"""model_save_dir: what crnn-ocr writes and ocr-evaluate / ocr-predict read.

The files are ``vision.checkpoints``' (best.pt = model.pt, last.pt, written atomically,
read with ``weights_only``); an OCR checkpoint's ``meta`` says what it is (``task``
text-recognition) and carries everything needed to rebuild the net and read its output:
the characters (class i + 1 is ``charset[i]``), image_height, max_width and the net's
sizes. char_dict.json and ord_map.json (the upstream's format) sit beside them.

A checkpoint of another task (an image classifier: model_name, num_class, classes; a
detector) or the upstream's TensorFlow checkpoint files are refused with one Problem.
"""

import os

from ..problems import Problem
from ..vision import checkpoints
from . import charset as charsets

TASK = "text-recognition"
MODEL_NAME = "crnn"
NET_KEYS = ("image_height", "max_width", "cnn_width", "hidden_units", "hidden_layers")


def meta(charset, args):
    """What best.pt / model.pt / last.pt carry besides the weights (ints and strings only)."""
    return {"task": TASK, "model_name": MODEL_NAME, "num_class": charset.num_classes, "charset": charset.text,
            **{k: int(getattr(args, k)) for k in NET_KEYS}}


def find(path, what):
    """The checkpoint file of ``path``: itself, or model.pt / best.pt / the only *.pt in it."""
    if os.path.isfile(path):
        return path
    if not os.path.isdir(path):
        raise Problem(what, f"{path} does not exist")
    named = checkpoints.named_model(path)
    if named:
        return named
    found = [f for f in checkpoints.torch_files(path) if os.path.basename(f) != checkpoints.LAST]
    if len(found) == 1:
        return found[0]
    # TF's bare ``checkpoint`` state file counts too: the upstream CRNN's model_save_dir has one
    if checkpoints.holds_tf_checkpoint(path) or os.path.isfile(os.path.join(path, "checkpoint")):
        raise Problem(what, f"{path} holds TensorFlow checkpoints (the upstream CRNN's), which this PyTorch net cannot read", hint="train one with crnn-ocr and give its model_save_dir")
    if found:
        raise Problem(what, f"{path} has several checkpoints ({', '.join(os.path.basename(f) for f in found)}) and no model.pt", hint="give the file itself")
    raise Problem(what, f"{path} has no model.pt", hint="give crnn-ocr's model_save_dir, e.g. run:<run-id>/model_save_dir")


def foreign(saved):
    """Why ``saved`` is not an OCR checkpoint, or None when it is one."""
    if not isinstance(saved, dict):
        return "holds no checkpoint dictionary"
    task = saved.get("task")
    if task == TASK and "charset" in saved and "state_dict" in saved:
        return None
    if task:
        return f"is a {task} checkpoint{f' ({saved.get(_NAME)})' if saved.get(_NAME) else ''}, not a text recogniser"
    if "classes" in saved or "num_class" in saved:
        classes = saved.get("num_class") or len(saved.get("classes") or [])
        return f"is an image-classification checkpoint (model_name {saved.get(_NAME, '?')}, {classes} classes), not a text recogniser"
    if "state_dict" not in saved and any(hasattr(v, "shape") for v in saved.values()):
        return "holds bare weights without the characters they were trained on"
    return "is not a crnn-ocr checkpoint (no task and characters)"


_NAME = "model_name"


def load(path, what="--model_save_dir", component="this component"):
    """(file, saved dict, Charset) of an OCR checkpoint; anything else is a Problem."""
    file = find(path, what)
    saved = checkpoints.load(file, what)
    why = foreign(saved)
    if why:
        raise Problem(what, f"{file} {why}", hint=f"{component} reads crnn-ocr's model_save_dir, e.g. --input model_save_dir=run:<run-id>/model_save_dir")
    return file, saved, charsets.Charset(saved["charset"])


def build_model(saved):
    """The net a checkpoint describes, with its weights, in eval mode."""
    from . import model as crnn

    net = crnn.CRNN(int(saved["num_class"]), int(saved["image_height"]), int(saved["cnn_width"]), int(saved["hidden_units"]), int(saved["hidden_layers"]))
    net.load_state_dict(saved["state_dict"])
    return net.eval()


def check_dictionary(charset, char_dict_path, ord_map_path, what="--char_dict_path"):
    """A char_dict.json given with a trained model must be the model's (same characters, same order)."""
    if not char_dict_path:
        return
    given = charsets.read(char_dict_path, ord_map_path)
    if given != charset:
        raise Problem(what, f"{charsets.find(char_dict_path) or char_dict_path} has {given.describe()}, but the model was trained on {charset.describe()}",
                      hint="leave char_dict_path unset: the model carries its own dictionary")


def load_weights(model, path, charset, log):
    """crnn-ocr's --weights_path: start from a checkpoint's weights (every tensor whose name
    and shape match; the output layer only when the characters are the same)."""
    file, saved, theirs = load(path, "--weights_path", "crnn-ocr")
    target = model.state_dict()
    source = saved["state_dict"]
    same_chars = theirs == charset
    loaded = {k: v for k, v in source.items() if k in target and v.shape == target[k].shape and (same_chars or not k.startswith("fc."))}
    model.load_state_dict(loaded, strict=False)
    log(f"weights: loaded {len(loaded)}/{len(target)} tensors from {file}"
        + ("" if same_chars else f" (not the output layer: it was trained on {theirs.describe()})"))
    return len(loaded)
