"""The epochs of any training task: train, validate every ``eval_every_epochs`` (and
after the last), keep the best model, stop early, and checkpoint so a killed run can go
on (``checkpoints``). Image classification, detection and OCR all run through it.

The generic API: a *task* knows its model and data; ``fit_task`` owns everything else.

    class MyTask:
        model                 # the nn.Module whose weights best.pt / last.pt hold
        metric = "val_map"    # the key of evaluate()'s dict that picks the best model
        higher_is_better = True
        label = "mAP@0.5"     # how log lines name that metric
        eval_keys = ("val_loss", "val_map")  # evaluate()'s keys: None in epochs without one

        def lr(self): ...                   # the learning rate the epoch starts with
        def train_epoch(self, epoch): ...   # one pass → {"loss": .., "images": n, ...}
        def evaluate(self, epoch): ...      # → (metrics: {eval_keys...}, detail)
        def state_dict(self): ...           # optimizer/scheduler/scaler state, for last.pt
        def load_state_dict(self, state): ...
        def line(self, record, epochs): ... # optional: the epoch's log line

    state = loop.resume(task, saved, log) if saved else loop.RunState()
    state = loop.fit_task(task, args, meta, state, log)

``training.Trainer(model, dev, args, steps, log, step=...)`` is the usual way to write
``train_epoch``: ``step(net, batch) -> (loss, count, sums)`` computes one batch's loss
under autocast and the Trainer does AMP loss scaling, the optimizer and schedule, DDP,
progress events and the global averages (``sums`` divided by the count, e.g. accuracy).
``train_epoch``'s dict (less "images") starts the epoch's record; ``evaluate``'s metrics
fill it in; ``detail`` (numbers, lists, numpy arrays, tensors) of the best evaluation is
kept as ``state.best_eval`` (in last.pt too) for the run's report. ``args`` needs
epochs, eval_every_epochs, early_stop, patience, seed, checkpoint_dir; ``meta`` is what
checkpoints carry besides the weights (model_name, classes, ...; ``checkpoints``).

The loop: every random draw of an epoch (shuffling, augmentation, dropout) comes from
generators seeded with (seed, epoch, rank) at its start, so an epoch resumed from
last.pt draws exactly what the uninterrupted run drew; last.pt needs no RNG states,
only the epoch. Exact on the CPU (loading in the main process); with loader workers the
augmentation draws restart from the epoch seed too, and cuDNN autotuning is not bitwise
repeatable. A better evaluation (strictly: a tie keeps the earlier model) writes best.pt
and model.pt; every epoch writes last.pt; ``early_stop`` stops after ``patience``
evaluations without a better one. Each epoch emits one ``metric`` event (its record).

``fit(trainer, train_batches, val_batches, val_size, args, meta, state, log)`` is image
classification's task on top of this (top-1 accuracy), as before.
"""

import os
import random
import time

import numpy as np

from .. import distributed, events
from . import checkpoints


def seed_epoch(seed, epoch, rank=0):
    import torch

    value = (seed * 1_000_003 + epoch * 1009 + rank) % (2**31)
    random.seed(value)
    np.random.seed(value)
    torch.manual_seed(value)


class RunState:
    """What the loop carries from epoch to epoch, and what last.pt restores."""

    def __init__(self):
        self.epoch = 0  # epochs completed
        self.history = []
        self.best_score = None  # the task's metric at its best evaluation
        self.best_epoch = None
        self.best_eval = None  # the task's ``detail`` of the best evaluation
        self.stale = 0  # evaluations since the best one
        self.stopped_early = False

    FIELDS = ("epoch", "history", "best_score", "best_epoch", "best_eval", "stale", "stopped_early")

    @property
    def best_top1(self):  # image classification's name for it
        return self.best_score

    def to_dict(self):
        d = {k: getattr(self, k) for k in self.FIELDS}
        # tensors: weights_only loading takes no numpy arrays
        d["best_eval"] = _map_arrays(self.best_eval, _to_tensor)
        return d

    @classmethod
    def from_dict(cls, d):
        state = cls()
        for k in cls.FIELDS:
            setattr(state, k, d.get(k, getattr(state, k)))
        if "best_score" not in d and "best_top1" in d:  # a last.pt written before the loop was generic
            state.best_score = d["best_top1"]
        state.best_eval = _map_arrays(state.best_eval, _to_numpy)
        return state


def _to_tensor(v):
    import torch

    return torch.from_numpy(np.asarray(v)) if isinstance(v, np.ndarray) else v


def _to_numpy(v):
    return v.numpy() if hasattr(v, "detach") else v


def _map_arrays(v, f):
    if isinstance(v, dict):
        return {k: _map_arrays(x, f) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v)(_map_arrays(x, f) for x in v)
    return f(v)


def evaluation_due(epoch, args):
    return epoch % args.eval_every_epochs == 0 or epoch == args.epochs


def better(task, score, best):
    if best is None:
        return True
    return score > best if getattr(task, "higher_is_better", True) else score < best


def fit_task(task, args, meta, state, log, after_epoch=None):
    """Train ``task`` from ``state.epoch + 1`` to ``args.epochs`` (or the early stop); returns ``state``.

    ``after_epoch(state)``: called once an epoch is checkpointed (tests use it to
    interrupt a run).
    """
    rank, main = distributed.rank(), distributed.is_main()
    folder = args.checkpoint_dir
    label = getattr(task, "label", task.metric)
    for epoch in range(state.epoch + 1, args.epochs + 1):
        seed_epoch(args.seed, epoch, rank)
        started = time.perf_counter()
        lr = task.lr()  # the epoch's starting lr
        trained = dict(task.train_epoch(epoch))
        images = trained.pop("images", 0)
        train_seconds = time.perf_counter() - started
        record = {"epoch": epoch, **trained, **{k: None for k in task.eval_keys}, "lr": lr}
        if evaluation_due(epoch, args):
            metrics, detail = task.evaluate(epoch)
            record.update(metrics)
            score = metrics[task.metric]
            if better(task, score, state.best_score):
                state.best_score, state.best_epoch, state.stale = score, epoch, 0
                state.best_eval = detail
                if main:
                    checkpoints.save_best(folder, task.model, {**meta, "epoch": epoch})
            else:
                state.stale += 1
        record.update(seconds=round(time.perf_counter() - started, 3), images_per_second=round(images / max(train_seconds, 1e-9), 1))
        state.history.append(record)
        state.epoch = epoch
        events.metric(epoch, args.epochs, **{k: v for k, v in record.items() if k != "epoch" and v is not None})
        log(task.line(record, args.epochs) if hasattr(task, "line") else default_line(record, args.epochs))
        state.stopped_early = bool(args.early_stop) and state.stale >= args.patience
        finished = state.stopped_early or epoch == args.epochs
        if main:
            checkpoints.save(os.path.join(folder, checkpoints.LAST), checkpoints.pack({
                **meta,
                "state_dict": checkpoints.weights(task.model),
                "trainer": task.state_dict(),
                "run": state.to_dict(),
                "seed": args.seed,
                "finished": finished,
            }))
        if after_epoch:
            after_epoch(state)
        if state.stopped_early:
            log(f"early stop: validation {label} has not improved on {state.best_score:.4f} (epoch {state.best_epoch}) for {state.stale} evaluations")
            break
    return state


def resume(task, saved, log, label=None):
    """Put last.pt's weights and optimisation state back; returns the RunState.
    ``task``: a task or a ``training.Trainer`` (anything with model and load_state_dict)."""
    task.model.load_state_dict(saved["state_dict"])
    task.load_state_dict(saved["trainer"])
    state = RunState.from_dict(saved["run"])
    label = label or getattr(task, "label", "top-1")
    best = f", best {label} {state.best_score:.4f} at epoch {state.best_epoch}" if state.best_score is not None else ""
    log(f"resume: from epoch {state.epoch}{best}")
    return state


def default_line(r, epochs):
    """``epoch 3/10: loss 0.1234 val_map 0.5000 lr 0.01 (2.0s, 40 img/s)``: every number of the record."""
    skip = ("epoch", "lr", "seconds", "images_per_second")
    values = " ".join(f"{k} {v:.4f}" for k, v in r.items() if k not in skip and isinstance(v, (int, float)) and not isinstance(v, bool))
    return f"epoch {r['epoch']}/{epochs}: {values} lr {r['lr']:.3g} ({r['seconds']:.1f}s, {r['images_per_second']:.0f} img/s)"


# --- image classification's task --------------------------------------------------------


class ClassificationTask:
    """Top-1 accuracy on the validation batches; best_eval keeps every image's scores."""

    metric, higher_is_better, label = "val_accuracy", True, "top-1"
    eval_keys = ("val_loss", "val_accuracy")

    def __init__(self, trainer, train_batches, val_batches, val_size):
        self.trainer, self.train_batches, self.val_batches, self.val_size = trainer, train_batches, val_batches, val_size
        self.model = trainer.model

    def lr(self):
        return self.trainer.lr()

    def train_epoch(self, epoch):
        return self.trainer.train_epoch(epoch, self.train_batches.epoch(epoch))

    def evaluate(self, epoch):
        val_loss, labels, scores = self.trainer.evaluate(self.val_batches.epoch(epoch), self.val_size, distributed.world_size(), distributed.rank())
        top1 = float((scores.argmax(1) == labels).mean()) if len(labels) else 0.0
        return {"val_loss": val_loss, "val_accuracy": top1}, {"val_loss": val_loss, "labels": labels, "scores": scores}

    def state_dict(self):
        return self.trainer.state_dict()

    def load_state_dict(self, state):
        self.trainer.load_state_dict(state)

    def line(self, r, epochs):
        val = f" val_loss {r['val_loss']:.4f} val_acc {r['val_accuracy']:.4f}" if r["val_loss"] is not None else ""
        return (
            f"epoch {r['epoch']}/{epochs}: loss {r['loss']:.4f} acc {r['accuracy']:.4f}{val} "
            f"lr {r['lr']:.3g} ({r['seconds']:.1f}s, {r['images_per_second']:.0f} img/s)"
        )


def fit(trainer, train_batches, val_batches, val_size, args, meta, state, log, after_epoch=None):
    """Image classification: ``fit_task`` with ``ClassificationTask``; returns ``state``.

    ``meta``: what checkpoints carry besides weights (model_name, num_class, classes,
    image_size).
    """
    return fit_task(ClassificationTask(trainer, train_batches, val_batches, val_size), args, meta, state, log, after_epoch)
