"""Optimisation: optimizers, learning-rate schedules, and the ``Trainer`` that runs one
training epoch or one evaluation on batches already on the device.

Schedules are closed forms of the global step (``lr_factor``), so a resumed run
recomputes them from the step it reached, whatever ``--epochs`` it is given.
"""

import contextlib
import math

from .. import distributed, events

SCHEDULES = ("exponential", "cosine", "none", "natural_exp", "polynomial")
# the upstream's --lr_decay spellings (TF-slim's function names) → ours
SCHEDULE_RENAMES = {"exponential_decay": "exponential", "fixed": "none", "natural_exp_decay": "natural_exp", "polynomial_decay": "polynomial"}
OPTIMIZERS = ("adam", "sgd", "adamw", "rmsprop")


def lr_factor(schedule, step, steps_per_epoch, total_steps, decay_rate, decay_epochs):
    """The learning rate at global ``step`` as a multiple of ``--lr``.

    exponential: ``decay_rate ** floor(step / decay_steps)``, decay_steps = decay_epochs
    epochs: TF's ``exponential_decay(staircase=True)``, the upstream's default, so the
    rate drops at epoch boundaries, not a little every step. natural_exp and polynomial
    are the upstream's other two (staircase; power 2 to 0.1 x lr, cycling). cosine:
    per-step cosine from lr to 0 over the run. none: constant.
    """
    decay_steps = max(decay_epochs * steps_per_epoch, 1e-12)
    if schedule == "exponential":
        return decay_rate ** math.floor(step / decay_steps)
    if schedule == "natural_exp":
        return math.exp(-decay_rate * math.floor(step / decay_steps))
    if schedule == "polynomial":
        cycle = decay_steps * max(1, math.ceil(step / decay_steps))
        return 0.9 * (1 - step / cycle) ** 2 + 0.1
    if schedule == "cosine":
        return 0.5 * (1 + math.cos(math.pi * min(step, total_steps) / max(total_steps, 1)))
    return 1.0


def describe_schedule(schedule, lr, decay_rate, decay_epochs):
    return {
        "exponential": f"lr {lr:g} x {decay_rate:g}^floor(epoch / {decay_epochs:g}) (exponential, stepwise as TF's staircase)",
        "natural_exp": f"lr {lr:g} x exp(-{decay_rate:g} x floor(epoch / {decay_epochs:g})) (natural_exp)",
        "polynomial": f"lr {lr:g} polynomial (power 2) to {lr * 0.1:g} every {decay_epochs:g} epochs, cycling",
        "cosine": f"lr {lr:g}, cosine to 0 per step over the run",
        "none": f"lr {lr:g}, constant",
    }[schedule]


def param_groups(model, weight_decay):
    """Weight decay on weights only: decaying biases and norm scales (1-D) only hurts."""
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    decay = [p for _, p in trainable if p.ndim > 1]
    rest = [p for _, p in trainable if p.ndim <= 1]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]


def make_optimizer(name, model, lr, weight_decay):
    import torch

    groups = param_groups(model, weight_decay)
    if name == "sgd":
        return torch.optim.SGD(groups, lr=lr, momentum=0.9)
    if name == "adamw":
        return torch.optim.AdamW(groups, lr=lr)
    if name == "rmsprop":  # TF-slim's MobileNet setting: decay 0.9, momentum 0.9
        return torch.optim.RMSprop(groups, lr=lr, alpha=0.9, momentum=0.9)
    return torch.optim.Adam(groups, lr=lr)


def make_scheduler(optimizer, schedule, steps_per_epoch, epochs, decay_rate, decay_epochs):
    import torch

    total = epochs * steps_per_epoch
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(schedule, step, steps_per_epoch, total, decay_rate, decay_epochs)
    )


def autocast(dev):
    import torch

    if not dev.amp:
        return contextlib.nullcontext()
    return torch.autocast(device_type="cuda", dtype=dev.amp_dtype)


def grad_scaler(dev):
    """Loss scaling is needed for fp16 only; bf16 and fp32 run it disabled."""
    import torch

    enabled = dev.amp_dtype == torch.float16
    if hasattr(torch.amp, "GradScaler"):  # torch >= 2.3
        return torch.amp.GradScaler("cuda", enabled=enabled)
    return torch.cuda.amp.GradScaler(enabled=enabled)


def compiled(net, log):
    """torch.compile on CUDA with torch 2+; the eager net elsewhere (1.x has none)."""
    import torch

    if not hasattr(torch, "compile"):
        log("compile: skipped, torch.compile needs torch 2 or newer")
        return net
    log("compile: torch.compile (the first steps are slow while it compiles)")
    return torch.compile(net)


def classification_step(label_smoothing=0.0):
    """Image classification's ``Trainer`` step: cross-entropy, and the right answers counted."""

    def step(net, batch):
        import torch.nn.functional as F

        images, labels = batch
        logits = net(images)
        loss = F.cross_entropy(logits, labels, label_smoothing=label_smoothing)
        return loss, labels.numel(), {"accuracy": (logits.argmax(1) == labels).sum()}

    return step


class Trainer:
    """The model and its optimisation state; batches come from an input pipeline."""

    def __init__(self, model, dev, args, steps_per_epoch, log=print, step=None):
        """``step(net, batch) -> (loss, count, sums)``: one batch's loss (under autocast),
        how many items it holds, and {name: summed tensor} to average per item over the
        epoch (classification's: ``classification_step``, counting right answers)."""
        import torch
        from torch.nn.parallel import DistributedDataParallel

        self.model, self.dev, self.args, self.log = model, dev, args, log
        self.step = step or classification_step(getattr(args, "label_smoothing", 0.0))
        self.steps_per_epoch = steps_per_epoch
        # Training goes through DDP (gradient all-reduce) when distributed; evaluation
        # uses the plain module, so ranks need no lock-step there.
        self.net = model
        if distributed.is_initialized():
            device_ids = [dev.device.index] if dev.cuda else None
            self.net = DistributedDataParallel(model, device_ids=device_ids)
        if args.compile and dev.cuda:
            self.net = compiled(self.net, log)
        self.optimizer = make_optimizer(args.optimizer, model, args.lr, args.weight_decay)
        self.scheduler = make_scheduler(self.optimizer, args.lr_decay, steps_per_epoch, args.epochs, args.decay_rate, args.decay_epochs)
        self.scaler = grad_scaler(dev)
        self.torch = torch

    def state_dict(self):
        return {"optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(), "scaler": self.scaler.state_dict()}

    def load_state_dict(self, state):
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        # the lambda is rebuilt from this run's args; its step comes from the checkpoint
        self.scheduler.base_lrs = [self.args.lr for _ in self.optimizer.param_groups]
        factor = self.scheduler.lr_lambdas[0](self.scheduler.last_epoch)
        for group in self.optimizer.param_groups:
            group["initial_lr"], group["lr"] = self.args.lr, self.args.lr * factor
        self.scheduler._last_lr = [g["lr"] for g in self.optimizer.param_groups]
        if state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])

    def lr(self):
        return self.optimizer.param_groups[0]["lr"]

    def train_epoch(self, epoch, batches):
        """One pass over the training shard; returns the global {"loss", *sums / count, "images"}."""
        torch = self.torch
        self.net.train()
        # sums stay on the device so no step waits for a host sync
        zero = torch.zeros((), dtype=torch.float64, device=self.dev.device)
        loss_sum, sums, count = zero.clone(), {}, 0
        steps, every = self.steps_per_epoch, self.args.display_every_steps
        for step, batch in enumerate(batches, 1):
            with autocast(self.dev):
                loss, n, batch_sums = self.step(self.net, batch)
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
            self.scheduler.step()
            loss_sum += loss.detach() * n
            for k, v in batch_sums.items():
                sums[k] = sums.get(k, zero) + v
            count += n
            events.progress(epoch, self.args.epochs, step, steps)
            if every and step % every == 0 and distributed.is_main():
                self.log(f"epoch {epoch} step {step}/{steps}: loss {loss.item():.4f} lr {self.lr():.3g}")
        names = list(sums)
        totals = distributed.all_reduce_sum(torch.stack([loss_sum, *(sums[k] + zero for k in names), zero + count])).tolist()
        count = totals[-1]
        return {"loss": totals[0] / max(count, 1), **{k: v / max(count, 1) for k, v in zip(names, totals[1:-1])}, "images": int(count)}

    def evaluate(self, batches, size, world, rank):
        """Global validation loss and every image's softmax scores, in validation order.

        Rank r sees images r, r + world, ...; each fills its rows of one zeroed
        [size, classes] matrix and a sum across ranks assembles it.
        """
        torch, F = self.torch, self.torch.nn.functional
        self.model.eval()
        k = self.args.num_class
        scores = torch.zeros((size, k), dtype=torch.float32, device=self.dev.device)
        labels = torch.zeros(size, dtype=torch.int64, device=self.dev.device)
        loss_sum = torch.zeros(1, dtype=torch.float64, device=self.dev.device)
        position = 0
        with torch.no_grad():
            for images, batch_labels in batches:
                with autocast(self.dev):
                    logits = self.model(images)
                logits = logits.float()
                loss_sum += F.cross_entropy(logits, batch_labels, reduction="sum").double()
                rows = torch.arange(position, position + len(batch_labels), device=self.dev.device) * world + rank
                scores[rows] = logits.softmax(1)
                labels[rows] = batch_labels
                position += len(batch_labels)
        loss_sum = distributed.all_reduce_sum(loss_sum).item()
        scores = distributed.all_reduce_sum(scores).cpu().numpy()
        labels = distributed.all_reduce_sum(labels).cpu().numpy()
        return loss_sum / max(size, 1), labels, scores
