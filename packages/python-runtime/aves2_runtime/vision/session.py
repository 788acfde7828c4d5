"""One image-classification run, start to end: what a component's entry hands over to.

    from aves2_runtime.vision import session
    session.main("Train an image classifier.", session.params.table(NAMES, DEFAULTS))

Order: arguments → device → model name and image size (checked before any data is
read) → data (opened and checked against num_class) → model, pre-trained weights →
input path → resume → epochs (``loop``) → outputs, written by rank 0 only:

- checkpoint_dir: best.pt = model.pt (best validation top-1), last.pt (to resume)
- result_dir: metrics.json, result.json, classification_report.txt, correct.txt,
  error.txt, confusion_matrix.csv/.txt, curves.csv, curves.png (``report``, ``curves``)
- summary_dir (optional, the upstream's TensorBoard folder): curves.csv and curves.png

Bad input is one ``error:`` line and exit code 2, before training wherever it can be
known. The numbers reported are the best evaluation's: the model that best.pt holds.
"""

import os
import random
import time

import numpy as np

from .. import device as devices
from .. import distributed, events
from ..files import atomic_write_json
from ..problems import Problem, refusing_bad_input
from . import checkpoints, curves, datasets, inputs, loop, models, params, report, training, transforms


def log(message):
    if distributed.is_main():
        print(message, flush=True)


def main(description, arg_table, argv=None, after_epoch=None):
    args = params.parse(description, arg_table, argv)
    supported = next(a.choices for a in arg_table if a.name == "model_name")
    with distributed.ending(), refusing_bad_input():
        run(args, supported, after_epoch)
    return 0


def run(args, supported, after_epoch=None):
    started = time.perf_counter()
    models.net(args.model_name, supported)
    models.check_image_size(args.model_name, args.image_size)
    dev = devices.select_device()
    distributed.init(cuda=dev.cuda)
    _seed(args.seed)
    log(f"device: {dev.description}, world size {distributed.world_size()}")

    train, train_idx, validation, val_idx, classes = open_data(args)
    augment = {"on": True, "off": False}.get(args.augment, transforms.default_augment(args.image_size))
    log(transforms.describe_augment(augment, args.image_size, args.augment != "auto"))

    model = build_model(args, dev)
    train_batches, val_batches, path = inputs.build(train, train_idx, validation, val_idx, args, dev, augment)
    log(f"input: {path}")
    if dev.cuda:
        import torch

        torch.backends.cudnn.benchmark = True  # fixed input sizes: let cuDNN pick its fastest kernels
    trainer = training.Trainer(model, dev, args, len(train_batches), log)
    log(f"optimizer: {args.optimizer}, weight_decay {args.weight_decay:g}, label_smoothing {args.label_smoothing:g}; "
        f"{training.describe_schedule(args.lr_decay, args.lr, args.decay_rate, args.decay_epochs)}")
    log(f"validation: every {args.eval_every_epochs} epoch(s) and after the last; "
        + (f"early stop after {args.patience} without a better top-1" if args.early_stop else "no early stop"))

    meta = {"model_name": args.model_name, "num_class": args.num_class, "classes": list(classes), "image_size": args.image_size}
    os.makedirs(args.checkpoint_dir, exist_ok=True)
    saved = agreed(checkpoints.resumable(args.checkpoint_dir, args.resume, meta, log), dev)
    state = loop.resume(trainer, saved, log) if saved else loop.RunState()
    state = loop.fit(trainer, train_batches, val_batches, len(val_idx), args, meta, state, log, after_epoch)

    seconds = time.perf_counter() - started
    best = state.best_eval
    if distributed.is_main():
        names = [validation.name(i) for i in val_idx]
        write_outputs(args, dev, classes, state, names, (len(train_idx), len(val_idx)), seconds, path)
    events.summary(top1=state.best_top1, val_loss=best["val_loss"], epochs=state.epoch, device=dev.description)
    log(f"done: top1 {state.best_top1:.4f} (epoch {state.best_epoch}) after {state.epoch} epochs in {seconds:.1f}s")
    distributed.barrier()


def open_data(args):
    """The sources, checked against num_class, and the images of each used (a hold-out
    split shares one source)."""
    train, validation, classes = datasets.load_sources(args.train_data_dir, args.validation_data_dir, args.num_class)
    check_readable(train)
    if validation is None:
        train_idx, val_idx = datasets.holdout_split(len(train), args.seed)
        validation, seen = train, f"{len(val_idx):,} of the training images, held out (no --validation_data_dir)"
    else:
        check_readable(validation)
        train_idx, val_idx, seen = range(len(train)), range(len(validation)), validation.describe()
    log(f"data: train: {train.describe()}")
    log(f"data: validation: {seen}")
    return train, train_idx, validation, val_idx, classes


def agreed(saved, dev):
    """``saved`` when every rank found last.pt (a volume they share), else None for all:
    ranks resuming from different epochs would wait on each other for ever."""
    if distributed.world_size() <= 1:
        return saved
    import torch

    found = distributed.all_reduce_sum(torch.tensor([1 if saved else 0], device=dev.device)).item()
    if 0 < found < distributed.world_size():
        log(f"resume: only {found} of {distributed.world_size()} workers see last.pt; training afresh")
        return None
    return saved


def _seed(seed):
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def check_readable(source):
    """Each class must have an image that decodes: try them in order, one success per
    class ends its search (so a good folder costs one decode per class)."""
    pending = {}
    for i in range(len(source)):
        pending.setdefault(source.label(i), []).append(i)
    for label, indices in pending.items():
        for i in indices:
            try:
                datasets.decode_image(source.read(i)).load()
                break
            except Problem:
                raise
            except Exception:  # noqa: BLE001 - any decode failure: try the class's next image
                continue
        else:
            raise source.problem(indices[0], f"class {source.classes[label]}: none of its {len(indices):,} images is readable", hint="remove or replace them")


def build_model(args, dev):
    import torch

    log(f"model: {models.describe(args.model_name)}, {args.num_class} classes, {args.image_size} px")
    model = models.build(args.model_name, args.num_class, args.image_size)
    if args.pre_trained_model_ckpt_path:
        if args.fine_tune:
            checkpoints.load_pretrained(model, args.pre_trained_model_ckpt_path, log)
        else:
            log("pre-trained: fine_tune 0, so the checkpoint is not loaded: training from random weights")
    if args.freeze_backbone:
        head, count = models.freeze_backbone(model)
        log(f"freeze_backbone: training {head} only ({count:,} parameters)")
        if not args.pre_trained_model_ckpt_path or not args.fine_tune:
            log("warning: the frozen backbone has random weights; give pre_trained_model_ckpt_path")
    model.to(dev.device)
    if dev.cuda:
        model.to(memory_format=torch.channels_last)
    log(f"model: {sum(p.numel() for p in model.parameters()):,} parameters")
    return model


def write_outputs(args, dev, classes, state, names, sizes, seconds, path):
    best = state.best_eval
    result, preds, cm = report.evaluation(best["labels"], best["scores"], classes)
    result = {"model_name": args.model_name, "best_epoch": state.best_epoch, **result}
    report.write_result_dir(args.result_dir, result, cm, classes, names, best["labels"], preds)
    for folder in filter(None, (args.result_dir, args.summary_dir)):
        curves.write(folder, state.history)
    upstream = {k: result[k] for k in ("accuracy", "precision", "recall", "f1", "recall_score", "f1_score", "auc_micro")}
    atomic_write_json(os.path.join(args.result_dir, "metrics.json"), {
        "model_name": args.model_name,
        "device": dev.description,
        "amp": dev.amp,
        "input": path,
        "epochs": state.history,
        "top1": state.best_top1,
        "val_loss": best["val_loss"],
        "best_epoch": state.best_epoch,
        "epochs_run": state.epoch,
        "stopped_early": state.stopped_early,
        **upstream,
        "per_class": result["per_class"],
        "train_images": sizes[0],
        "validation_images": sizes[1],
        "seconds": round(seconds, 3),
    })
