"""Detection on the shared loop (``vision.loop.fit_task``): the training step, running a
detector over a split, and the task that scores each evaluation by mAP@0.5."""

import numpy as np

from .. import distributed
from ..vision import training
from . import metrics, models

# the lowest score evaluation keeps: mAP needs the low-scoring boxes too
SCORE_FLOOR = 0.01


def detection_step(net, batch):
    """``training.Trainer``'s step: the sum of the detector's losses."""
    images, targets = batch
    losses = net(images, targets)
    return sum(losses.values()), len(images), {}


def detect(model, batches, dev, size, world=None, rank=None):
    """Every image's detections ({"boxes", "scores", "labels" 0-based} numpy), in the
    split's order: each rank runs its share (images rank, rank + world, ...) and the
    shares are gathered."""
    import torch

    world = distributed.world_size() if world is None else world
    rank = distributed.rank() if rank is None else rank
    model.eval()
    mine = []
    with torch.no_grad():
        for images, _ in batches:
            with training.autocast(dev):
                out = model(images)
            for o in out:
                mine.append({
                    "boxes": o["boxes"].float().cpu().numpy().astype(np.float64),
                    "scores": o["scores"].float().cpu().numpy().astype(np.float64),
                    "labels": o["labels"].cpu().numpy().astype(np.int64) - 1,
                })
    shares = [mine]
    if distributed.is_initialized():
        import torch.distributed as dist

        shares = [None] * world
        dist.all_gather_object(shares, mine)
    found = [None] * size
    for r, share in enumerate(shares):
        for k, d in enumerate(share):
            found[r + k * world] = d
    return found


class DetectionTask:
    """``fit_task``'s task: train with ``trainer``, score by validation mAP@0.5."""

    metric, higher_is_better, label = "val_map", True, "mAP@0.5"
    eval_keys = ("val_map", "val_map_50_95")

    def __init__(self, trainer, train_batches, val_batches, validation, score_thresh):
        self.trainer, self.train_batches, self.val_batches = trainer, train_batches, val_batches
        self.validation, self.score_thresh = validation, score_thresh
        self.model = trainer.model
        self.truths = validation.truths()
        models.set_score_floor(self.model, SCORE_FLOOR)

    def lr(self):
        return self.trainer.lr()

    def train_epoch(self, epoch):
        return self.trainer.train_epoch(epoch, self.train_batches.epoch(epoch))

    def evaluate(self, epoch):
        found = detect(self.model, self.val_batches.epoch(epoch), self.trainer.dev, len(self.validation))
        result = metrics.evaluate(self.truths, found, self.validation.classes, self.score_thresh)
        return {"val_map": result["map"], "val_map_50_95": result["map_50_95"]}, result

    def state_dict(self):
        return self.trainer.state_dict()

    def load_state_dict(self, state):
        self.trainer.load_state_dict(state)
