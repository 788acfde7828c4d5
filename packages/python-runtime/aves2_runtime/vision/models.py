"""The networks: ``--model_name`` (the upstream TF-slim names and torchvision's own) → a
torchvision model with random weights and a classifier sized to ``num_class``.

Nothing is ever downloaded (``weights=None``). The upstream names map to the nearest
torchvision net; where that is not the same architecture, ``Net.note`` says so and the
run's log line repeats it.
"""

from typing import NamedTuple

from ..problems import Problem

# BatchNorm running-statistics momentum (torch default 0.1). Short runs change the
# weights fast, and with 0.1 the running statistics lag so far behind that a 1-epoch
# MobileNetV2 scores ~10% in eval mode on the digits sample; 0.3 tracks them closely
# enough (~70%) and makes no difference to longer runs. Every BatchNorm net gets it.
BN_MOMENTUM = 0.3

# Nets without a size of their own still need some pixels to learn from.
SMALLEST_IMAGE = 16


class Net(NamedTuple):
    builder: str  # the torchvision.models function
    kwargs: dict
    min_size: int = SMALLEST_IMAGE  # smaller inputs fail inside the net (measured on torchvision 0.14)
    multiple: int = 1  # image_size must be a multiple of this (ViT's 16 px patches)
    note: str = ""  # how the torchvision net differs from the upstream one


def _mobilenet_v2(width):
    return Net("mobilenet_v2", {"width_mult": width})


# the width multiplier is the suffix: 035 = 0.35, 10 = 1.0, 14 = 1.4
MOBILENET_V2 = {
    "mobilenet_v2_035": _mobilenet_v2(0.35),
    "mobilenet_v2_05": _mobilenet_v2(0.5),
    "mobilenet_v2_075": _mobilenet_v2(0.75),
    "mobilenet_v2_10": _mobilenet_v2(1.0),
    "mobilenet_v2_13": _mobilenet_v2(1.3),
    "mobilenet_v2_14": _mobilenet_v2(1.4),
}

_INCEPTION = Net("inception_v3", {"aux_logits": False, "init_weights": True}, min_size=75)

# the upstream's names (cv/image_classification's nets_factory) first, then torchvision's
NETS = {
    "vgg_16": Net("vgg16", {}, min_size=32),
    "resnet_v2_50": Net("resnet50", {}, note="ResNet v1.5: torchvision has no pre-activation (v2) ResNet"),
    "resnet_v2_101": Net("resnet101", {}, note="ResNet v1.5: torchvision has no pre-activation (v2) ResNet"),
    "inception_v4": _INCEPTION._replace(note="Inception v3, torchvision's nearest: it has no Inception v4"),
    "inception_resnet_v2": _INCEPTION._replace(note="Inception v3, torchvision's nearest: it has no Inception-ResNet v2"),
    **MOBILENET_V2,
    "vgg16": Net("vgg16", {}, min_size=32),
    "resnet18": Net("resnet18", {}),
    "resnet50": Net("resnet50", {}),
    "resnet101": Net("resnet101", {}),
    "inception_v3": _INCEPTION,
    "efficientnet_b0": Net("efficientnet_b0", {}),
    "efficientnet_b1": Net("efficientnet_b1", {}),
    "efficientnet_b2": Net("efficientnet_b2", {}),
    "efficientnet_b3": Net("efficientnet_b3", {}),
    "mobilenet_v3_large": Net("mobilenet_v3_large", {}),
    "convnext_tiny": Net("convnext_tiny", {}, min_size=32),
    "regnet_y_400mf": Net("regnet_y_400mf", {}),
    "regnet_x_400mf": Net("regnet_x_400mf", {}),
    # torchvision's ViT takes its input size at construction and accepts no other
    "vit_b_16": Net("vit_b_16", {}, multiple=16),
}

# upstream names with no torchvision counterpart: refused with the list of what is supported
UNSUPPORTED = {
    "nasnet_large": "torchvision has no NASNet",
    "pnasnet_large": "torchvision has no PNASNet",
}


def net(name, supported=None):
    """The ``Net`` of ``name``; a Problem naming the supported models when there is none."""
    supported = list(supported or NETS)
    if name in supported:
        return NETS[name]
    why = UNSUPPORTED.get(name, "unknown model")
    raise Problem("--model_name", f"{name}: {why}", hint=f"supported: {', '.join(supported)}")


def check_image_size(name, image_size):
    """A Problem, before any data is read, when the net cannot take ``image_size``."""
    spec = NETS[name]
    if image_size < spec.min_size:
        raise Problem("--image_size", f"{image_size} is too small for {name}: it needs at least {spec.min_size} px", hint=f"--image_size {spec.min_size} or more")
    if image_size % spec.multiple:
        lower = image_size // spec.multiple * spec.multiple
        nearest = lower if lower >= spec.min_size else lower + spec.multiple
        raise Problem("--image_size", f"{image_size} does not suit {name}: it needs a multiple of {spec.multiple} px", hint=f"--image_size {nearest}")


def describe(name):
    """One log line: what ``name`` builds, and how it differs from the upstream net."""
    spec = NETS[name]
    args = ", ".join(f"{k}={v}" for k, v in spec.kwargs.items() if k == "width_mult")
    built = f"torchvision {spec.builder}{f'({args})' if args else ''}"
    return f"{name} → {built}{f' ({spec.note})' if spec.note else ''}"


def build(name, num_class, image_size):
    """A randomly initialised net with ``num_class`` outputs."""
    import torch
    from torchvision import models

    spec = NETS[name]
    kwargs = dict(spec.kwargs)
    if spec.multiple > 1:
        kwargs["image_size"] = image_size
    model = getattr(models, spec.builder)(weights=None, num_classes=num_class, **kwargs)
    for module in model.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.momentum = BN_MOMENTUM
    return model


def classifier(model):
    """(name, module) of the net's last Linear layer: the head that ``num_class`` sizes.

    In every torchvision classifier it is the last Linear module, whatever it is called
    (fc, classifier.1, heads.head ...).
    """
    import torch

    linear = [(n, m) for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
    return linear[-1]


def freeze_backbone(model):
    """Train the classifier head only; returns the number of parameters left trainable."""
    name, head = classifier(model)
    for p in model.parameters():
        p.requires_grad_(False)
    for p in head.parameters():
        p.requires_grad_(True)
    return name, sum(p.numel() for p in head.parameters())
