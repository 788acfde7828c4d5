"""One CRNN training run (crnn-ocr, the upstream's tools/train_shadownet.py), start to end.

Order: arguments → device → data (Train, Validation or 10% of Train held out; every line
checked) → characters (char_dict.json given, else in dataset_dir, else built from the
labels; every label checked against them) → net, weights_path → resume → epochs →
outputs. The epochs are ``vision.loop.fit_task`` with ``OcrTask`` (best model by
validation sequence accuracy; cadence, early stop, best/last checkpoints, resume,
per-epoch seeding and events are the loop's), each step ``vision.training.Trainer``'s
(optimizer, schedule, AMP, DDP) with a CTC loss.

model_save_dir (rank 0): best.pt = model.pt (best validation sequence accuracy), last.pt,
char_dict.json + ord_map.json (the upstream's format), metrics.json, predictions.txt
(the best evaluation's validation lines), curves.csv / curves.png; tboard_save_dir: the
curves. Bad input is one ``error:`` line and exit code 2 before training.
"""

import os
import random
import time

import numpy as np

from .. import device as devices
from .. import distributed, events
from ..files import atomic_write_json, atomic_write_text
from ..problems import Problem, refusing_bad_input
from ..tabular.args import parse_args
from ..vision import checkpoints, curves, loop, training
from ..vision.session import agreed
from . import batches as lines
from . import charset as charsets
from . import checkpoint, data, decoding, params, recognize
from . import model as crnn

HOLDOUT = 0.1
COLUMNS = ("epoch", "loss", "sequence_accuracy", "val_loss", "val_sequence_accuracy", "val_cer", "lr", "seconds", "images_per_second")
PANELS = (
    ("loss", "CTC loss per character", [("loss", (31, 119, 180), "train"), ("val_loss", (255, 127, 14), "validation")]),
    ("validation", "sequence accuracy, CER", [("val_sequence_accuracy", (255, 127, 14), "sequence acc."), ("val_cer", (44, 160, 44), "CER")]),
)


def log(message):
    if distributed.is_main():
        print(message, flush=True)


def main(description, argv=None, after_epoch=None):
    args = parse_args(description, params.train_table(), params.TRAIN_FOLDERS, argv, empty_folders_unset=True)
    with distributed.ending(), refusing_bad_input():
        params.check_train(args)
        run(args, after_epoch)
    return 0


def ctc_step(charset, decode):
    """The Trainer's step: CTC loss per character (and, with ``decode``, the lines read right)."""

    def step(net, batch):
        import torch
        import torch.nn.functional as F

        images, widths, targets, lengths, _ = batch
        log_probs = net(images, widths).float()
        t = crnn.steps(widths)
        loss = F.ctc_loss(log_probs, targets, t, lengths, zero_infinity=True)
        sums = {}
        if decode:
            truth = [charset.decode(x) for x in torch.split(targets.cpu(), lengths.cpu().tolist())]
            read = [charset.decode(p) for p in decoding.greedy(log_probs.detach(), t)]
            sums["sequence_accuracy"] = torch.tensor(float(sum(a == b for a, b in zip(truth, read))), dtype=torch.float64, device=images.device)
        return loss, len(widths), sums

    return step


class OcrTask:
    """vision.loop's task: the best model has the best validation sequence accuracy."""

    metric, higher_is_better, label = "val_sequence_accuracy", True, "sequence accuracy"
    eval_keys = ("val_loss", "val_sequence_accuracy", "val_cer")

    def __init__(self, trainer, train_batches, val_batches, validation, charset, dev):
        self.trainer, self.train_batches, self.val_batches = trainer, train_batches, val_batches
        self.validation, self.charset, self.dev = validation, charset, dev
        self.model = trainer.model

    def lr(self):
        return self.trainer.lr()

    def train_epoch(self, epoch):
        return self.trainer.train_epoch(epoch, self.train_batches.epoch(epoch))

    def evaluate(self, epoch):
        from . import metrics

        predictions, loss = recognize.read_lines(self.model, self.val_batches, len(self.validation.samples), self.charset, self.dev)
        labels = self.validation.labels()
        scores = {"val_loss": loss, "val_sequence_accuracy": metrics.sequence_accuracy(labels, predictions), "val_cer": metrics.cer(labels, predictions)}
        return scores, {"predictions": predictions, **scores}

    def state_dict(self):
        return self.trainer.state_dict()

    def load_state_dict(self, state):
        self.trainer.load_state_dict(state)

    def line(self, r, epochs):
        train = f" seq_acc {r['sequence_accuracy']:.4f}" if r.get("sequence_accuracy") is not None else ""
        val = (f" val_loss {r['val_loss']:.4f} val_seq_acc {r['val_sequence_accuracy']:.4f} val_cer {r['val_cer']:.4f}"
               if r.get("val_sequence_accuracy") is not None else "")
        return (f"epoch {r['epoch']}/{epochs}: loss {r['loss']:.4f}{train}{val} lr {r['lr']:.3g} "
                f"({r['seconds']:.1f}s, {r['images_per_second']:.0f} lines/s)")


def open_data(args):
    train = data.open_split(args.dataset_dir, "Train", required=True)
    validation = data.open_split(args.dataset_dir, "Validation", required=False)
    if validation is None:
        train, validation = data.holdout(train, HOLDOUT, args.seed)
        log(f"data: no Validation/sample.txt: {len(validation.samples):,} training lines held out")
    log(f"data: {train.describe()}")
    log(f"data: {validation.describe()}")
    return train, validation


def open_charset(args, train, validation):
    """(Charset, where it came from)."""
    if args.char_dict_path:
        return charsets.read(args.char_dict_path, args.ord_map_dict_path), charsets.find(args.char_dict_path) or args.char_dict_path
    beside = charsets.find(args.dataset_dir)
    if beside:
        return charsets.read(beside, args.ord_map_dict_path), beside
    return charsets.Charset.from_labels(train.labels() + validation.labels()), "built from the labels"


def check_widths(split, sizes, args):
    """Lines too narrow for their labels at this height cannot be learned (CTC needs a time
    step per character, two for a doubled one): say how many."""
    short = 0
    for s, (w, h) in zip(split.samples, sizes):
        need = len(s.label) + sum(1 for a, b in zip(s.label, s.label[1:]) if a == b)
        if crnn.steps(lines.resized_width(w, h, args.image_height, args.max_width)) < need:
            short += 1
    if short:
        log(f"warning: {split.name}: {short:,} line(s) are too narrow for their labels at {args.image_height} px high and "
            f"max_width {args.max_width} (a time step per 4 columns): raise max_width or image_height")


def run(args, after_epoch=None):
    started = time.perf_counter()
    dev = devices.select_device()
    distributed.init(cuda=dev.cuda)
    random.seed(args.seed)
    np.random.seed(args.seed)
    import torch

    torch.manual_seed(args.seed)
    log(f"device: {dev.description}, world size {distributed.world_size()}")

    train, validation = open_data(args)
    charset, source = open_charset(args, train, validation)
    log(f"characters: {charset.describe()}, {source}")
    for split in (train, validation):
        data.check_labels(split, charset, source)
        check_widths(split, data.check_images(split), args)

    workers = lines.worker_count(dev.cuda)
    train_set = lines.LineImages(train.samples, charset, args.image_height, args.max_width, augment=bool(args.augment), cache=workers == 0)
    val_set = lines.LineImages(validation.samples, charset, args.image_height, args.max_width, cache=workers == 0)
    train_batches = lines.train_batches(train_set, args.batch_size, args.seed, dev)
    val_batches = lines.eval_batches(val_set, args.batch_size * 2, dev)
    log("augment: " + ("width stretch 0.8-1.2, shift, contrast, noise" if args.augment else "off"))

    model = crnn.build(charset.num_classes, args)
    if args.weights_path:
        checkpoint.load_weights(model, args.weights_path, charset, log)
    model.to(dev.device)
    log(f"model: {crnn.describe(args)}; {sum(p.numel() for p in model.parameters()):,} parameters")

    targs = params.trainer_args(args, len(train_batches))
    trainer = training.Trainer(model, dev, targs, len(train_batches), log, step=ctc_step(charset, args.decode_outputs))
    log(f"optimizer: {args.optimizer}, weight_decay {args.weight_decay:g}; "
        + (f"lr {args.lr:g} x {args.decay_rate:g}^floor(step / {args.decay_steps})" if args.lr_decay == "exponential"
           else training.describe_schedule(args.lr_decay, args.lr, args.decay_rate, targs.decay_epochs)))
    log(f"validation: every {args.eval_every_epochs} epoch(s) and after the last; "
        + (f"early stop after {args.patience} without a better sequence accuracy" if args.early_stop else "no early stop"))

    meta = checkpoint.meta(charset, args)
    os.makedirs(args.model_save_dir, exist_ok=True)
    if distributed.is_main():
        charsets.write(args.model_save_dir, charset)
    saved = checkpoints.resumable(args.model_save_dir, args.resume, meta, log)
    # resumable compares model_name and num_class; the characters and the net's sizes must match too
    differs = [k for k in ("charset", *checkpoint.NET_KEYS) if saved and saved.get(k) != meta[k]]
    if differs:
        what = ", ".join("other characters" if k == "charset" else f"{k} {saved.get(k)} (now {meta[k]})" for k in differs)
        if args.resume == "1":
            raise Problem("--resume", f"{args.model_save_dir}/last.pt is from another run: {what}", hint="use another model_save_dir, or --resume 0")
        log(f"resume: not resuming {args.model_save_dir}/last.pt: {what}; training afresh")
        saved = None
    saved = agreed(saved, dev)
    task = OcrTask(trainer, train_batches, val_batches, validation, charset, dev)
    state = loop.resume(task, saved, log) if saved else loop.RunState()
    state = loop.fit_task(task, targs, meta, state, log, after_epoch)

    seconds = time.perf_counter() - started
    best = state.best_eval or {}
    if distributed.is_main():
        write_outputs(args, dev, charset, source, state, validation, (len(train.samples), len(validation.samples)), seconds)
    events.summary(sequence_accuracy=state.best_score, cer=best.get("val_cer"), val_loss=best.get("val_loss"), epochs=state.epoch, device=dev.description)
    log(f"done: sequence accuracy {state.best_score:.4f}, CER {best.get('val_cer', float('nan')):.4f} (epoch {state.best_epoch}) "
        f"after {state.epoch} epochs in {seconds:.1f}s")
    distributed.barrier()


def write_outputs(args, dev, charset, source, state, validation, sizes, seconds):
    from . import metrics

    best = state.best_eval
    predictions = best["predictions"]
    summary = metrics.summary(validation.labels(), predictions)
    atomic_write_text(os.path.join(args.model_save_dir, "predictions.txt"), recognize.table(validation, predictions))
    atomic_write_json(os.path.join(args.model_save_dir, "metrics.json"), {
        "model_name": checkpoint.MODEL_NAME,
        "device": dev.description,
        "amp": dev.amp,
        "characters": charset.text,
        "char_dict": source,
        **summary,
        "val_loss": best["val_loss"],
        "best_epoch": state.best_epoch,
        "epochs_run": state.epoch,
        "stopped_early": state.stopped_early,
        "epochs": state.history,
        "train_lines": sizes[0],
        "validation_lines": sizes[1],
        "seconds": round(seconds, 3),
    })
    for folder in filter(None, (args.model_save_dir, args.tboard_save_dir)):
        curves.write(folder, state.history, COLUMNS, PANELS)
