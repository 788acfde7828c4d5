"""Train a MobileNetV2 image classifier on an ImageFolder dataset.

Called by AVES2 as
    python3 model_train_new.py --train_data_dir DIR [--validation_data_dir DIR]
        [--pre_trained_model_ckpt_path DIR] --result_dir DIR --checkpoint_dir DIR
        [--model_name mobilenet_v2_10] [--num_class 10] [--batch_size N]
        [--epochs N] [--lr X] [--image_size N] [--seed N]

Progress and metrics go to stdout as AVES2_EVENT lines (see aves2_runtime).
Outputs: checkpoint_dir/model.pt, result_dir/metrics.json and
result_dir/confusion_matrix.csv. Exit code 2 means bad data or arguments.
Under torchrun-style env (WORLD_SIZE > 1) it trains with DDP; batch_size is
per process and only rank 0 writes outputs or emits events.
"""

import argparse
import contextlib
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

from aves2_runtime import device as devices
from aves2_runtime import distributed, events, metrics
from aves2_runtime.files import atomic_write_json
from data import DataError, load_datasets, make_loaders
from model import WIDTH_MULTIPLIERS, build_model, load_pretrained, save_checkpoint

# Defaults tuned so the bundled digits sample trains in about a minute on a
# 2-core CPU and still reaches >90% validation top-1.
DEFAULTS = dict(
    model_name="mobilenet_v2_10",
    num_class=10,
    batch_size=32,
    epochs=7,
    lr=0.003,
    image_size=32,
    seed=42,
)


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message):
        # One clear line and exit code 2, without the multi-line usage dump.
        self.exit(2, f"{self.prog}: error: {message}\n")


def positive(kind):
    def parse(text):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value

    return parse


def parse_args(argv=None):
    p = ArgumentParser(description="Train MobileNetV2 on an ImageFolder dataset.")
    p.add_argument("--model_name", choices=sorted(WIDTH_MULTIPLIERS))
    p.add_argument("--num_class", type=positive(int))
    p.add_argument("--batch_size", type=positive(int))
    p.add_argument("--epochs", type=positive(int))
    p.add_argument("--lr", type=positive(float))
    p.add_argument("--image_size", type=positive(int))
    p.add_argument("--seed", type=int)
    p.add_argument("--train_data_dir", required=True)
    # An empty string counts as "not given" for the optional inputs.
    p.add_argument("--validation_data_dir", default="")
    p.add_argument("--pre_trained_model_ckpt_path", default="")
    p.add_argument("--result_dir", required=True)
    p.add_argument("--checkpoint_dir", required=True)
    p.set_defaults(**DEFAULTS)
    return p.parse_args(argv)


def log(message):
    if distributed.is_main():
        print(message, flush=True)


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def autocast(dev):
    if not dev.amp:
        return contextlib.nullcontext()
    return torch.autocast(device_type="cuda", dtype=dev.amp_dtype)


def grad_scaler(dev):
    # Loss scaling is only needed for fp16; bf16 and fp32 run it disabled.
    enabled = dev.amp_dtype == torch.float16
    if hasattr(torch.amp, "GradScaler"):  # torch >= 2.3
        return torch.amp.GradScaler("cuda", enabled=enabled)
    return torch.cuda.amp.GradScaler(enabled=enabled)


def to_device(images, labels, dev):
    memory_format = torch.channels_last if dev.cuda else torch.contiguous_format
    images = images.to(dev.device, non_blocking=True, memory_format=memory_format)
    return images, labels.to(dev.device, non_blocking=True)


class Trainer:
    """Holds the model and optimisation state for one run."""

    def __init__(self, model, dev, train_loader, val_loader, args):
        self.model, self.dev, self.args = model, dev, args
        self.train_loader, self.val_loader = train_loader, val_loader
        # Training goes through DDP (gradient all-reduce) when distributed;
        # evaluation uses the plain module, so ranks need no lock-step there.
        self.net = model
        if distributed.is_initialized():
            device_ids = [dev.device.index] if dev.cuda else None
            self.net = DistributedDataParallel(model, device_ids=device_ids)
        self.optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
        # Per-step cosine decay to zero over the whole run.
        self.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(
            self.optimizer, T_max=args.epochs * len(train_loader)
        )
        self.scaler = grad_scaler(dev)

    def train_epoch(self, epoch):
        """One pass over the training shard; returns global (loss, accuracy, images)."""
        self.net.train()
        sampler = self.train_loader.sampler
        if hasattr(sampler, "set_epoch"):  # DistributedSampler reshuffles per epoch
            sampler.set_epoch(epoch)
        # Sums stay on the device so no step waits for a host sync.
        zero = torch.zeros((), dtype=torch.float64, device=self.dev.device)
        loss_sum, correct, count = zero.clone(), zero.clone(), 0
        steps = len(self.train_loader)
        for step, (images, labels) in enumerate(self.train_loader, 1):
            images, labels = to_device(images, labels, self.dev)
            with autocast(self.dev):
                logits = self.net(images)
                loss = F.cross_entropy(logits, labels)
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
            self.scheduler.step()
            loss_sum += loss.detach() * labels.numel()
            correct += (logits.argmax(1) == labels).sum()
            count += labels.numel()
            events.progress(epoch, self.args.epochs, step, steps)
        totals = torch.stack([loss_sum, correct, zero + count])
        loss_sum, correct, count = distributed.all_reduce_sum(totals).tolist()
        return loss_sum / max(count, 1), correct / max(count, 1), int(count)

    @torch.no_grad()
    def evaluate(self):
        """Global validation loss and confusion matrix (numpy)."""
        self.model.eval()
        k = self.args.num_class
        loss_sum = torch.zeros(1, dtype=torch.float64, device=self.dev.device)
        cm = torch.zeros(k * k, dtype=torch.int64, device=self.dev.device)
        for images, labels in self.val_loader:
            images, labels = to_device(images, labels, self.dev)
            with autocast(self.dev):
                logits = self.model(images)
            loss_sum += F.cross_entropy(logits.float(), labels, reduction="sum").double()
            cm += torch.bincount(labels * k + logits.argmax(1), minlength=k * k)
        loss_sum = distributed.all_reduce_sum(loss_sum).item()
        cm = distributed.all_reduce_sum(cm).view(k, k).cpu().numpy()
        return loss_sum / max(cm.sum(), 1), cm


def run_epochs(trainer, args):
    """Train all epochs; returns (per-epoch records, final confusion matrix)."""
    history, cm = [], None
    for epoch in range(1, args.epochs + 1):
        started = time.perf_counter()
        lr = trainer.optimizer.param_groups[0]["lr"]  # the epoch's starting lr
        loss, accuracy, images = trainer.train_epoch(epoch)
        train_seconds = time.perf_counter() - started
        val_loss, cm = trainer.evaluate()
        record = dict(
            loss=loss,
            accuracy=accuracy,
            val_loss=val_loss,
            val_accuracy=metrics.top1(cm),
            lr=lr,
            seconds=round(time.perf_counter() - started, 3),
            images_per_second=round(images / train_seconds, 1),
        )
        events.metric(epoch, args.epochs, **record)
        history.append({"epoch": epoch, **record})
        log(
            f"epoch {epoch}/{args.epochs}: loss {loss:.4f} acc {accuracy:.4f} "
            f"val_loss {val_loss:.4f} val_acc {record['val_accuracy']:.4f} "
            f"({record['seconds']:.1f}s, {record['images_per_second']:.0f} img/s)"
        )
    return history, cm


def write_outputs(args, model, dev, classes, history, cm, sizes, seconds):
    os.makedirs(args.result_dir, exist_ok=True)
    os.makedirs(args.checkpoint_dir, exist_ok=True)
    save_checkpoint(
        os.path.join(args.checkpoint_dir, "model.pt"),
        model, args.model_name, args.num_class, classes, args.image_size,
    )
    metrics.write_confusion_csv(os.path.join(args.result_dir, "confusion_matrix.csv"), cm, classes)
    atomic_write_json(
        os.path.join(args.result_dir, "metrics.json"),
        {
            "model_name": args.model_name,
            "device": dev.description,
            "amp": dev.amp,
            "epochs": history,
            "top1": metrics.top1(cm),
            "val_loss": history[-1]["val_loss"],
            "per_class": metrics.per_class_report(cm, classes),
            "train_images": sizes[0],
            "validation_images": sizes[1],
            "seconds": round(seconds, 3),
        },
    )


def train(args):
    started = time.perf_counter()
    dev = devices.select_device()
    distributed.init(cuda=dev.cuda)
    seed_everything(args.seed)
    log(f"device: {dev.description}, world size {distributed.world_size()}")

    train_set, val_set, classes = load_datasets(args)
    log(f"data: {len(train_set)} train / {len(val_set)} validation images, "
        f"{len(classes)} classes")
    train_loader, val_loader = make_loaders(train_set, val_set, args.batch_size, args.seed, dev.cuda)

    model = build_model(args.model_name, args.num_class)
    if args.pre_trained_model_ckpt_path:
        load_pretrained(model, args.pre_trained_model_ckpt_path, log)
    model.to(dev.device)
    if dev.cuda:
        model.to(memory_format=torch.channels_last)
    log(f"model: {args.model_name} (width {WIDTH_MULTIPLIERS[args.model_name]}), "
        f"{sum(p.numel() for p in model.parameters()):,} parameters")

    trainer = Trainer(model, dev, train_loader, val_loader, args)
    history, cm = run_epochs(trainer, args)
    seconds = time.perf_counter() - started
    top1 = metrics.top1(cm)
    if distributed.is_main():
        write_outputs(args, model, dev, classes, history, cm,
                      (len(train_set), len(val_set)), seconds)
    events.summary(top1=top1, val_loss=history[-1]["val_loss"], epochs=args.epochs,
                   device=dev.description)
    log(f"done: top1 {top1:.4f} in {seconds:.1f}s")
    distributed.barrier()


def main(argv=None):
    args = parse_args(argv)
    try:
        train(args)
    except DataError as e:
        print(f"error: {e}", file=sys.stderr, flush=True)
        return 2
    finally:
        distributed.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
