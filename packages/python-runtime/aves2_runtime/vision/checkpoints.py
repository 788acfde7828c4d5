"""checkpoint_dir: what a run keeps, and what it starts from.

- ``best.pt``: the weights of the best validation top-1 so far (the upstream kept "best
  top-1 only"), and ``model.pt``, the same file under the name this catalog's evaluate
  steps and docs read: {model_name, num_class, classes, image_size, state_dict, ...}.
- ``last.pt``: everything a killed run needs to go on: the same plus the epoch, the
  optimizer, scheduler and GradScaler states, the best-so-far and early-stop counter,
  the history and the best evaluation. Written at the end of every epoch.

Every file is written atomically: a run killed while saving leaves the previous one.
Files are read with ``weights_only=True``: a checkpoint is data, never code to run.
torch 1.13's weights-only reader refuses Python floats, so best.pt / model.pt hold
only tensors, ints and strings, and last.pt keeps its other values (optimizer
hyper-parameters, history) as JSON text beside its tensors (``pack``).
"""

import glob
import json
import os

from ..files import atomic_write
from ..problems import Problem

BEST, LAST, MODEL = "best.pt", "last.pt", "model.pt"


def weights(model):
    """The state_dict on the CPU in the default layout (channels_last weights are not)."""
    return {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}


def save(path, payload):
    import torch

    atomic_write(path, lambda tmp: torch.save(payload, tmp))


def pack(obj):
    """``obj`` (dicts with str/int keys, lists, tuples, tensors, numbers, strings, None) as
    {"json": text, "tensors": [...]}: the tensors stay tensors, the rest becomes JSON."""
    tensors = []

    def walk(v):
        if hasattr(v, "detach"):
            tensors.append(v.detach().cpu())
            return {"t": len(tensors) - 1}
        if isinstance(v, dict):
            return {"d": [[walk(k), walk(x)] for k, x in v.items()]}
        if isinstance(v, (list, tuple)):
            return {"l" if isinstance(v, list) else "u": [walk(x) for x in v]}
        if hasattr(v, "item"):  # numpy scalars
            return v.item()
        return v

    return {"json": json.dumps(walk(obj)), "tensors": tensors}


def unpack(packed):
    tensors = packed["tensors"]

    def walk(v):
        if not isinstance(v, dict):
            return v
        (kind, x), = v.items()
        if kind == "t":
            return tensors[x]
        if kind == "d":
            return {walk(k): walk(val) for k, val in x}
        items = [walk(i) for i in x]
        return items if kind == "l" else tuple(items)

    return walk(json.loads(packed["json"]))


def save_best(folder, model, meta):
    """best.pt and model.pt: ``meta`` (model_name, num_class, classes, image_size, ...) + state_dict."""
    payload = {**meta, "state_dict": weights(model)}
    for name in (BEST, MODEL):
        save(os.path.join(folder, name), payload)


def load(path, what):
    import torch

    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - any unreadable file is the user's to fix
        raise Problem(what, f"cannot load checkpoint {path}: {str(e).splitlines()[0]}") from None


# --- resuming ---------------------------------------------------------------------------


def resumable(folder, mode, meta, log):
    """The last.pt to resume from, or None. ``mode``: "auto", "1" (must) or "0" (never).

    auto resumes when checkpoint_dir holds the last.pt of an unfinished run of the same
    model_name and num_class (a restarted pod on a persistent volume); anything else
    starts afresh, saying why.
    """
    path = os.path.join(folder, LAST)
    if mode == "0":
        return None
    if not os.path.isfile(path):
        if mode == "1":
            raise Problem("--resume", f"is 1 but {path} does not exist", hint="train without --resume 1 first")
        return None
    state = unpack(load(path, "--resume"))
    mismatch = [k for k in ("model_name", "num_class") if state.get(k) != meta[k]]
    if mismatch:
        what = ", ".join(f"{k} {state.get(k)} (now {meta[k]})" for k in mismatch)
        if mode == "1":
            raise Problem("--resume", f"{path} is from another run: {what}", hint="use another checkpoint_dir, or --resume 0")
        log(f"resume: not resuming {path}: {what}")
        return None
    if state.get("finished") and mode == "auto":
        log(f"resume: {path} is of a finished run; training afresh")
        return None
    return state


# --- finding a checkpoint in a folder --------------------------------------------------


def torch_files(folder):
    """The *.pt and *.pth files of ``folder``, by name."""
    return sorted(glob.glob(os.path.join(folder, "*.pt")) + glob.glob(os.path.join(folder, "*.pth")))


def named_model(folder):
    """``folder``'s model.pt, else its best.pt, else None."""
    for name in (MODEL, BEST):
        if os.path.isfile(os.path.join(folder, name)):
            return os.path.join(folder, name)
    return None


def holds_tf_checkpoint(folder):
    """Whether ``folder`` holds TensorFlow checkpoint files (*.ckpt*, *.index): the
    upstream's, named by its job files, which no torch net here can read."""
    return bool(glob.glob(os.path.join(folder, "*.ckpt*")) or glob.glob(os.path.join(folder, "*.index")))


# --- starting from pre-trained weights -----------------------------------------------


def find_checkpoint(ckpt_dir, log):
    """The first *.pt / *.pth file in ``ckpt_dir`` (by name), or ``ckpt_dir`` itself when it
    is a file; None, saying so, when the folder holds only TensorFlow checkpoints."""
    what = "--pre_trained_model_ckpt_path"
    if os.path.isfile(ckpt_dir):
        return ckpt_dir
    if not os.path.isdir(ckpt_dir):
        raise Problem(what, f"{ckpt_dir} is not a directory")
    files = torch_files(ckpt_dir)
    if files:
        return files[0]
    if holds_tf_checkpoint(ckpt_dir):
        # the upstream's TF-slim checkpoints: its job files name them, so they are no reason to refuse the job
        log(f"warning: pre-trained: {ckpt_dir} holds TensorFlow checkpoints, which torchvision's nets cannot load: training from random weights")
        return None
    raise Problem(what, f"{ckpt_dir} has no *.pt or *.pth file")


def read_state_dict(path):
    """Tensors of this package's checkpoint format, or of a raw state_dict."""
    import torch

    obj = load(path, "--pre_trained_model_ckpt_path")
    state = obj.get("state_dict", obj) if isinstance(obj, dict) else None
    if not isinstance(state, dict):
        raise Problem("--pre_trained_model_ckpt_path", f"{path} holds no state_dict")
    # saved from a DDP-wrapped or compiled model: every key has a prefix
    return {_unwrapped(k): v for k, v in state.items() if torch.is_tensor(v)}


def _unwrapped(key):
    for prefix in ("module.", "_orig_mod."):
        while key.startswith(prefix):
            key = key[len(prefix):]
    return key


def load_pretrained(model, ckpt_dir, log):
    """Copy every tensor whose name and shape match; report what was skipped.

    Shape mismatches are expected (the classifier, when num_class differs from the
    checkpoint's) and keep their fresh init.
    """
    path = find_checkpoint(ckpt_dir, log)
    if path is None:
        return 0
    source = read_state_dict(path)
    target = model.state_dict()
    loaded = {k: v for k, v in source.items() if k in target and v.shape == target[k].shape}
    mismatched = sorted(k for k in source if k in target and k not in loaded)
    unknown = sorted(k for k in source if k not in target)
    model.load_state_dict(loaded, strict=False)
    log(f"pre-trained: loaded {len(loaded)}/{len(target)} tensors from {path}")
    if mismatched:
        log(f"pre-trained: skipped (shape differs): {', '.join(mismatched)}")
    if unknown:
        log(f"pre-trained: skipped (not in model): {', '.join(unknown)}")
    if len(target) - len(loaded):
        log(f"pre-trained: {len(target) - len(loaded)} model tensors keep their random init")
    return len(loaded)
