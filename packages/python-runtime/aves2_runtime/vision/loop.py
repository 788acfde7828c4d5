"""The epochs: train, validate every ``eval_every_epochs`` (and after the last), keep the
best top-1, stop early, and checkpoint so a killed run can go on (``checkpoints``).

Every random draw of an epoch (shuffling, augmentation, dropout) comes from generators
seeded with (seed, epoch, rank) at its start, so an epoch resumed from last.pt draws
exactly what the uninterrupted run drew; last.pt needs no RNG states, only the epoch.
Exact on the CPU (loading in the main process); with loader workers the augmentation
draws restart from the epoch seed too, and cuDNN autotuning is not bitwise repeatable.
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
        self.best_top1 = None
        self.best_epoch = None
        self.best_eval = None  # {"val_loss", "labels", "scores"} of the best evaluation
        self.stale = 0  # evaluations since the best one
        self.stopped_early = False

    FIELDS = ("epoch", "history", "best_top1", "best_epoch", "best_eval", "stale", "stopped_early")

    def to_dict(self):
        import torch

        d = {k: getattr(self, k) for k in self.FIELDS}
        if self.best_eval is not None:  # tensors: weights_only loading takes no numpy arrays
            d["best_eval"] = {
                "val_loss": self.best_eval["val_loss"],
                "labels": torch.from_numpy(np.asarray(self.best_eval["labels"])),
                "scores": torch.from_numpy(np.asarray(self.best_eval["scores"])),
            }
        return d

    @classmethod
    def from_dict(cls, d):
        state = cls()
        for k in cls.FIELDS:
            setattr(state, k, d.get(k, getattr(state, k)))
        if state.best_eval is not None:
            state.best_eval = {**state.best_eval, "labels": state.best_eval["labels"].numpy(), "scores": state.best_eval["scores"].numpy()}
        return state


def evaluation_due(epoch, args):
    return epoch % args.eval_every_epochs == 0 or epoch == args.epochs


def fit(trainer, train_batches, val_batches, val_size, args, meta, state, log, after_epoch=None):
    """Train from ``state.epoch + 1`` to ``args.epochs`` (or the early stop); returns ``state``.

    ``meta``: what checkpoints carry besides weights (model_name, num_class, classes,
    image_size). ``after_epoch(state)``: called once an epoch is checkpointed (tests
    use it to interrupt a run).
    """
    world, rank, main = distributed.world_size(), distributed.rank(), distributed.is_main()
    folder = args.checkpoint_dir
    for epoch in range(state.epoch + 1, args.epochs + 1):
        seed_epoch(args.seed, epoch, rank)
        started = time.perf_counter()
        lr = trainer.lr()  # the epoch's starting lr
        loss, accuracy, images = trainer.train_epoch(epoch, train_batches.epoch(epoch))
        train_seconds = time.perf_counter() - started
        record = dict(epoch=epoch, loss=loss, accuracy=accuracy, val_loss=None, val_accuracy=None, lr=lr)
        if evaluation_due(epoch, args):
            val_loss, labels, scores = trainer.evaluate(val_batches.epoch(epoch), val_size, world, rank)
            top1 = float((scores.argmax(1) == labels).mean()) if len(labels) else 0.0
            record.update(val_loss=val_loss, val_accuracy=top1)
            # strictly better, as the upstream: a tie keeps the earlier (shorter-trained) model
            if state.best_top1 is None or top1 > state.best_top1:
                state.best_top1, state.best_epoch, state.stale = top1, epoch, 0
                state.best_eval = {"val_loss": val_loss, "labels": labels, "scores": scores}
                if main:
                    checkpoints.save_best(folder, trainer.model, {**meta, "epoch": epoch})
            else:
                state.stale += 1
        record.update(seconds=round(time.perf_counter() - started, 3), images_per_second=round(images / max(train_seconds, 1e-9), 1))
        state.history.append(record)
        state.epoch = epoch
        events.metric(epoch, args.epochs, **{k: v for k, v in record.items() if k != "epoch" and v is not None})
        log(_line(record, args.epochs))
        state.stopped_early = bool(args.early_stop) and state.stale >= args.patience
        finished = state.stopped_early or epoch == args.epochs
        if main:
            checkpoints.save(os.path.join(folder, checkpoints.LAST), checkpoints.pack({
                **meta,
                "state_dict": checkpoints.weights(trainer.model),
                "trainer": trainer.state_dict(),
                "run": state.to_dict(),
                "seed": args.seed,
                "finished": finished,
            }))
        if after_epoch:
            after_epoch(state)
        if state.stopped_early:
            log(f"early stop: validation top-1 has not improved on {state.best_top1:.4f} (epoch {state.best_epoch}) for {state.stale} evaluations")
            break
    return state


def resume(trainer, saved, log):
    """Put last.pt's weights and optimisation state back; returns the RunState."""
    trainer.model.load_state_dict(saved["state_dict"])
    trainer.load_state_dict(saved["trainer"])
    state = RunState.from_dict(saved["run"])
    best = f", best top-1 {state.best_top1:.4f} at epoch {state.best_epoch}" if state.best_top1 is not None else ""
    log(f"resume: from epoch {state.epoch}{best}")
    return state


def _line(r, epochs):
    val = f" val_loss {r['val_loss']:.4f} val_acc {r['val_accuracy']:.4f}" if r["val_loss"] is not None else ""
    return (
        f"epoch {r['epoch']}/{epochs}: loss {r['loss']:.4f} acc {r['accuracy']:.4f}{val} "
        f"lr {r['lr']:.3g} ({r['seconds']:.1f}s, {r['images_per_second']:.0f} img/s)"
    )
