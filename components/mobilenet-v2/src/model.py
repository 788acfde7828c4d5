"""MobileNetV2 construction and checkpoint loading/saving."""

import glob
import os

import torch
from torchvision.models import mobilenet_v2

from aves2_runtime.files import atomic_write
from data import DataError

# --model_name -> width multiplier (the suffix: 035 = 0.35, 10 = 1.0, ...).
WIDTH_MULTIPLIERS = {
    "mobilenet_v2_035": 0.35,
    "mobilenet_v2_05": 0.5,
    "mobilenet_v2_075": 0.75,
    "mobilenet_v2_10": 1.0,
    "mobilenet_v2_13": 1.3,
    "mobilenet_v2_14": 1.4,
}


# BatchNorm running-statistics momentum (torch default 0.1). Short runs change
# the weights fast, and with 0.1 the running statistics lag so far behind that
# a 1-epoch model scores ~10% in eval mode on the digits sample; 0.3 tracks
# them closely enough (~70%) and makes no difference to longer runs.
BN_MOMENTUM = 0.3


def build_model(model_name, num_class):
    # weights=None: random init, nothing is ever downloaded.
    model = mobilenet_v2(
        weights=None, width_mult=WIDTH_MULTIPLIERS[model_name], num_classes=num_class
    )
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.momentum = BN_MOMENTUM
    return model


def find_checkpoint(ckpt_dir):
    """The first *.pt / *.pth file in ``ckpt_dir`` (sorted by name)."""
    if not os.path.isdir(ckpt_dir):
        raise DataError(f"--pre_trained_model_ckpt_path '{ckpt_dir}' is not a directory")
    files = sorted(
        glob.glob(os.path.join(ckpt_dir, "*.pt")) + glob.glob(os.path.join(ckpt_dir, "*.pth"))
    )
    if not files:
        raise DataError(f"--pre_trained_model_ckpt_path '{ckpt_dir}' has no *.pt or *.pth file")
    return files[0]


def read_state_dict(path):
    """Tensors of this script's checkpoint format, or of a raw state_dict."""
    try:
        # weights_only: a checkpoint is data, never code to run.
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise DataError(f"cannot load checkpoint '{path}': {e}".splitlines()[0]) from None
    state = obj.get("state_dict", obj) if isinstance(obj, dict) else None
    if not isinstance(state, dict):
        raise DataError(f"checkpoint '{path}' holds no state_dict")
    # Checkpoints saved from a DDP-wrapped model prefix every key with "module.".
    return {k.removeprefix("module."): v for k, v in state.items() if torch.is_tensor(v)}


def load_pretrained(model, ckpt_dir, log):
    """Copy every tensor whose name and shape match; report what was skipped.

    Shape mismatches are expected, e.g. the classifier when --num_class
    differs from the checkpoint's, and simply keep their fresh init.
    """
    path = find_checkpoint(ckpt_dir)
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
    not_loaded = len(target) - len(loaded)
    if not_loaded:
        log(f"pre-trained: {not_loaded} model tensors keep their random init")


def save_checkpoint(path, model, model_name, num_class, classes, image_size):
    """Atomically write {model_name, num_class, classes, image_size, state_dict}."""
    # contiguous(): channels_last weights are stored in the default layout.
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    checkpoint = {
        "model_name": model_name,
        "num_class": num_class,
        "classes": list(classes),
        "image_size": image_size,
        "state_dict": state,
    }
    atomic_write(path, lambda tmp: torch.save(checkpoint, tmp))
