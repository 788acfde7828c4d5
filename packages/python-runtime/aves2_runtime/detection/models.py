"""The detectors: ``--model_name`` → a torchvision detection model with random weights
(``weights=None, weights_backbone=None``: nothing is ever downloaded), sized to the
data's classes plus torchvision's background class 0.

``image_size`` resizes every image inside the model (torchvision's transform): SSD
models take a fixed square (their own 320 / 300 px by default), the others scale the
shorter side to ``image_size`` with the longer at most that (their own 800 by default).
Boxes always come back in the original image's pixels.

``alpha_fr`` / ``gamma_fr`` (the upstream retinanet_mobilenetv2's focal loss) set the
focal loss of retinanet_resnet50_fpn's classification head; the other models have no
focal loss (SSD: cross-entropy with hard negative mining; Faster R-CNN: cross-entropy).
"""

import types
from typing import NamedTuple

from ..problems import Problem

# BatchNorm running-statistics momentum for nets built from random weights (torchvision's
# SSDlite sets 0.03): short runs move the weights fast, and slow statistics make the
# evaluation-mode net much worse than the training one. As vision.models.BN_MOMENTUM.
BN_MOMENTUM = 0.3


class Net(NamedTuple):
    kind: str  # "ssd", "retinanet" or "rcnn"
    default_size: int  # torchvision's
    min_size: int  # smaller images fail inside the net (measured, torchvision 0.14)
    note: str = ""


NETS = {
    "ssdlite320_mobilenet_v3_large": Net("ssd", 320, 16, "SSDlite, MobileNetV3-Large backbone (the upstream ssd_mobilenetv2's nearest)"),
    "ssd300_vgg16": Net("ssd", 300, 268, "SSD300, VGG-16 backbone"),
    "retinanet_resnet50_fpn": Net("retinanet", 800, 16, "RetinaNet, ResNet-50 FPN: the focal loss of alpha_fr / gamma_fr"),
    "fasterrcnn_mobilenet_v3_large_fpn": Net("rcnn", 800, 16, "Faster R-CNN, MobileNetV3-Large FPN"),
    "fasterrcnn_resnet50_fpn": Net("rcnn", 800, 16, "Faster R-CNN, ResNet-50 FPN (the upstream fasterrcnn_resnet50's)"),
}

# upstream folders and what replaces them
UPSTREAM = {
    "ssd_mobilenetv2": "ssdlite320_mobilenet_v3_large",
    "retinanet_mobilenetv2": "retinanet_resnet50_fpn",
    "fasterrcnn_resnet50": "fasterrcnn_resnet50_fpn",
}


def net(name):
    if name in NETS:
        return NETS[name]
    hint = f"supported: {', '.join(NETS)}"
    if name in UPSTREAM:
        hint = f"the upstream's {name} is {UPSTREAM[name]} here; {hint}"
    elif name == "rfcn_resnet101":
        hint = f"torchvision has no R-FCN; {hint}"
    raise Problem("--model_name", f"{name}: unknown detection model", hint=hint)


def size_of(name, image_size):
    """The size the net resizes to: ``image_size``, or the net's own when 0."""
    return image_size or NETS[name].default_size


def check_image_size(name, image_size):
    spec = net(name)
    if image_size and image_size < spec.min_size:
        raise Problem("--image_size", f"{image_size} is too small for {name}: it needs at least {spec.min_size} px", hint=f"--image_size {spec.min_size} or more, or 0 for its own {spec.default_size}")


def describe(name, image_size):
    spec = NETS[name]
    size = size_of(name, image_size)
    how = f"{size}x{size} px" if spec.kind == "ssd" else f"shorter side {size} px"
    return f"{name} → torchvision {name} ({spec.note}), random weights, images resized to {how}"


def build(name, num_classes, image_size=0, alpha_fr=0.25, gamma_fr=2.0):
    """A randomly initialised detector for ``num_classes`` classes (+ background)."""
    import torch
    from torchvision.models import detection

    spec = net(name)
    size = size_of(name, image_size)
    kwargs = {} if spec.kind == "ssd" else {"min_size": size, "max_size": size}
    model = getattr(detection, name)(weights=None, weights_backbone=None, num_classes=num_classes + 1, **kwargs)
    if spec.kind == "ssd":
        t = model.transform
        t.min_size, t.max_size, t.fixed_size = (size,), size, (size, size)
    if spec.kind == "retinanet":
        head = model.head.classification_head
        head.focal_alpha, head.focal_gamma = float(alpha_fr), float(gamma_fr)
        head.compute_loss = types.MethodType(_focal_loss, head)
    for module in model.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.momentum = BN_MOMENTUM
    model.aves2_size = size
    return model


def _focal_loss(self, targets, head_outputs, matched_idxs):
    """torchvision's RetinaNetClassificationHead.compute_loss with alpha and gamma set."""
    import torch
    from torchvision.ops import sigmoid_focal_loss

    losses = []
    cls_logits = head_outputs["cls_logits"]
    for t, logits, matched in zip(targets, cls_logits, matched_idxs):
        foreground = matched >= 0
        target = torch.zeros_like(logits)
        target[foreground, t["labels"][matched[foreground]]] = 1.0
        valid = matched != self.BETWEEN_THRESHOLDS
        loss = sigmoid_focal_loss(logits[valid], target[valid], alpha=self.focal_alpha, gamma=self.focal_gamma, reduction="sum")
        losses.append(loss / max(1, int(foreground.sum())))
    return sum(losses) / len(targets)


def set_score_floor(model, floor):
    """Keep detections down to ``floor`` (mAP needs the low-scoring ones) and at most 100
    per image (COCO's maxDets)."""
    if hasattr(model, "roi_heads"):  # Faster R-CNN
        model.roi_heads.score_thresh, model.roi_heads.detections_per_img = floor, 100
    else:  # SSD, RetinaNet
        model.score_thresh, model.detections_per_img = floor, 100
