"""Train a small CNN on ImageFolder data; DDP when started with WORLD_SIZE > 1.

    python3 train.py --train_data_dir DIR --validation_data_dir DIR --result_dir DIR
        --checkpoint_dir DIR [--num_class 3] [--epochs 10] [--batch_size 16]
        [--lr 0.05] [--image_size 16] [--seed 0]
"""

import argparse
import contextlib
import os
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from torchvision import datasets, transforms

from aves2_runtime import device as devices
from aves2_runtime import distributed, events, metrics
from aves2_runtime.files import atomic_write_json


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("train_data_dir", "validation_data_dir", "result_dir", "checkpoint_dir"):
        p.add_argument(f"--{name}", required=True)
    p.add_argument("--num_class", type=int, default=3)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch_size", type=int, default=16)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--image_size", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def build_model(num_class):
    # Replace with your architecture; it sees 3-channel image_size² images.
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        nn.Flatten(), nn.Linear(32, num_class),
    )


def loaders(args, cuda):
    tf = transforms.Compose([
        transforms.Grayscale(num_output_channels=3),
        transforms.Resize((args.image_size, args.image_size)),
        transforms.ToTensor(),
    ])
    train = datasets.ImageFolder(args.train_data_dir, transform=tf)
    val = datasets.ImageFolder(args.validation_data_dir, transform=tf)
    if len(train.classes) != args.num_class:
        raise ValueError(f"num_class is {args.num_class} but the training data has {len(train.classes)} classes")
    sampler = DistributedSampler(train, seed=args.seed) if distributed.world_size() > 1 else None
    generator = torch.Generator().manual_seed(args.seed)
    train_loader = DataLoader(train, batch_size=args.batch_size, shuffle=sampler is None, sampler=sampler, generator=generator, pin_memory=cuda)
    # every rank evaluates the whole (small) validation set: no gather needed
    val_loader = DataLoader(val, batch_size=256, pin_memory=cuda)
    return train, train_loader, val_loader


def evaluate(model, loader, dev, k):
    model.eval()
    y_true, y_pred = [], []
    with torch.no_grad():
        for x, y in loader:
            y_pred += model(x.to(dev.device)).argmax(1).cpu().tolist()
            y_true += y.tolist()
    return metrics.confusion_matrix(y_true, y_pred, k)


def main(argv=None):
    args = parse_args(argv)
    dev = devices.select_device()
    distributed.init(cuda=dev.cuda)
    torch.manual_seed(args.seed)
    try:
        train_set, train_loader, val_loader = loaders(args, dev.cuda)
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    model = build_model(args.num_class).to(dev.device)
    net = DistributedDataParallel(model) if distributed.is_initialized() else model
    optimizer = torch.optim.SGD(net.parameters(), lr=args.lr, momentum=0.9)
    # mixed precision on CUDA only; loss scaling is needed for fp16, not bf16
    autocast = (lambda: torch.autocast("cuda", dtype=dev.amp_dtype)) if dev.amp else contextlib.nullcontext
    scaler = torch.cuda.amp.GradScaler(enabled=dev.amp and dev.amp_dtype == torch.float16)
    if distributed.is_main():
        print(f"device: {dev.description}, {len(train_set)} training images, {args.num_class} classes", flush=True)

    for epoch in range(1, args.epochs + 1):
        started = time.perf_counter()
        net.train()
        if train_loader.sampler is not None and hasattr(train_loader.sampler, "set_epoch"):
            train_loader.sampler.set_epoch(epoch)
        total = 0.0
        for step, (x, y) in enumerate(train_loader, 1):
            x, y = x.to(dev.device), y.to(dev.device)
            with autocast():
                loss = F.cross_entropy(net(x), y)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            total += loss.item()
            events.progress(epoch, args.epochs, step, len(train_loader))
        cm = evaluate(model, val_loader, dev, args.num_class)
        loss_avg = total / max(len(train_loader), 1)
        events.metric(epoch, args.epochs, loss=loss_avg, val_accuracy=metrics.top1(cm), seconds=round(time.perf_counter() - started, 3))
        if distributed.is_main():
            print(f"epoch {epoch}/{args.epochs}: loss {loss_avg:.4f} val_accuracy {metrics.top1(cm):.4f}", flush=True)

    if distributed.is_main():
        classes = train_set.classes
        os.makedirs(args.checkpoint_dir, exist_ok=True)
        os.makedirs(args.result_dir, exist_ok=True)
        torch.save({"state_dict": model.state_dict(), "classes": classes}, os.path.join(args.checkpoint_dir, "model.pt"))
        metrics.write_confusion_csv(os.path.join(args.result_dir, "confusion_matrix.csv"), cm, classes)
        atomic_write_json(os.path.join(args.result_dir, "metrics.json"), {"top1": metrics.top1(cm), "per_class": metrics.per_class_report(cm, classes)})
    events.summary(top1=metrics.top1(cm))
    distributed.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
