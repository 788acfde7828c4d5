"""One object-detection training run, start to end (object-detection's ``model_main.py``).

Order: arguments → model name and image size → device → data (both splits opened and
checked: a bad box or a missing image stops the run before any training) → model,
``--pretrainmodel_dir`` weights → resume → epochs (``vision.loop.fit_task`` with
``task.DetectionTask``) → outputs, by rank 0, all in ``--output_path`` (the upstream's
one output folder):

- model.pt = best.pt (the best validation mAP@0.5: weights, model_name, classes,
  image_size, task "object-detection"), last.pt (to resume), label_map.pbtxt
- result.json (the best evaluation: map, map_50_95, precision, recall, ap_per_class,
  per_class), metrics.json (every epoch, timings), curves.csv, curves.png

The device, AMP, DDP, optimizer and schedule, checkpoints, resume and events are the
image-classification runtime's (``vision.training``, ``vision.loop``,
``vision.checkpoints``), shared, not copied.
"""

import os
import time

from .. import device as devices
from .. import distributed, events
from ..files import atomic_write_json, atomic_write_text
from ..problems import Problem, refusing_bad_input
from ..tabular.args import parse_args
from ..vision import checkpoints, curves, loop, training
from ..vision import session as vision_session
from . import data, inputs, models, params, task

TASK = "object-detection"
COLUMNS = ("epoch", "loss", "val_map", "val_map_50_95", "lr", "seconds", "images_per_second")
PANELS = (
    ("loss", "detector loss", [("loss", (31, 119, 180), "train")]),
    ("mAP", "validation mAP", [("val_map", (255, 127, 14), "mAP@0.5"), ("val_map_50_95", (44, 160, 44), "mAP@0.5:0.95")]),
)


def log(message):
    if distributed.is_main():
        print(message, flush=True)


def main(description, table, argv=None, after_epoch=None):
    args = parse_args(description, table, params.TRAIN_FOLDERS, argv, empty_folders_unset=True)
    with distributed.ending(), refusing_bad_input():
        run(args, after_epoch)
    return 0


def open_data(args):
    """(train, validation, classes): the classes are the label map's, else the training
    annotations'; the validation split must use no other."""
    train = data.open_split(args.tfrecords_dir, "train", "--tfrecords_dir")
    validation = data.open_split(args.tfrecords_dir, "val", "--tfrecords_dir", train.classes, train.origin)
    if not train.objects():
        raise Problem(args.tfrecords_dir, "the training split has no objects", hint="annotate some")
    log(f"data: train: {train.describe()}")
    log(f"data: validation: {validation.describe()}")
    return train, validation, train.classes


def run(args, after_epoch=None):
    started = time.perf_counter()
    models.check_image_size(args.model_name, args.image_size)
    args.lr, args.compile, args.label_smoothing = args.learning_rate, 0, 0.0  # the Trainer's names
    args.checkpoint_dir = args.output_path
    dev = devices.select_device()
    distributed.init(cuda=dev.cuda)
    loop.seed_epoch(args.seed, 0)
    log(f"device: {dev.description}, world size {distributed.world_size()}")

    train, validation, classes = open_data(args)
    log(f"classes: {len(classes)} ({', '.join(classes)}), the num_classes of the upstream's cal_params; the model adds a background class")
    model = build_model(args, dev, len(classes))
    train_batches, val_batches, path = inputs.build(train, validation, args, dev)
    log(f"input: {path}")
    trainer = training.Trainer(model, dev, args, len(train_batches), log, step=task.detection_step)
    log(f"optimizer: {args.optimizer}, learning_rate {args.learning_rate:g}, weight_decay {args.weight_decay:g}; "
        f"{training.describe_schedule(args.lr_decay, args.learning_rate, args.decay_rate, args.decay_epochs)}")
    log(f"validation: mAP@0.5 every {args.eval_every_epochs} epoch(s) and after the last; "
        + (f"early stop after {args.patience} without a better mAP" if args.early_stop else "no early stop"))

    meta = {"task": TASK, "model_name": args.model_name, "num_class": len(classes), "classes": list(classes), "image_size": model.aves2_size}
    os.makedirs(args.output_path, exist_ok=True)
    detector = task.DetectionTask(trainer, train_batches, val_batches, validation, args.min_score_thresh)
    # every rank resumes, or none (vision.session.agreed: a volume not all of them see)
    saved = vision_session.agreed(checkpoints.resumable(args.output_path, args.resume, meta, log), dev)
    if saved and saved.get("classes") != list(classes):
        what = f"{os.path.join(args.output_path, checkpoints.LAST)} was trained on the classes {', '.join(saved.get('classes') or [])}, not {', '.join(classes)}"
        if args.resume == "1":
            raise Problem("--resume", what, hint="use another output_path, or --resume 0")
        log(f"resume: not resuming: {what}")
        saved = None
    state = loop.resume(detector, saved, log) if saved else loop.RunState()
    state = loop.fit_task(detector, args, meta, state, log, after_epoch)

    seconds = time.perf_counter() - started
    result = state.best_eval
    if distributed.is_main():
        write_outputs(args, dev, classes, state, (len(train), len(validation)), seconds, path)
    events.summary(map=result["map"], map_50_95=result["map_50_95"], precision=result["precision"], recall=result["recall"], epochs=state.epoch, device=dev.description)
    log(f"done: mAP@0.5 {result['map']:.4f}, mAP@0.5:0.95 {result['map_50_95']:.4f} (epoch {state.best_epoch}) after {state.epoch} epochs in {seconds:.1f}s")
    distributed.barrier()


def build_model(args, dev, num_classes):
    log(f"model: {models.describe(args.model_name, args.image_size)}, {num_classes} classes + background")
    if args.model_name == "retinanet_resnet50_fpn":
        log(f"focal loss: alpha_fr {args.alpha_fr:g}, gamma_fr {args.gamma_fr:g}")
    elif (args.alpha_fr, args.gamma_fr) != (params.TRAIN_DEFAULTS["alpha_fr"], params.TRAIN_DEFAULTS["gamma_fr"]):
        log(f"note: alpha_fr / gamma_fr set the focal loss of retinanet_resnet50_fpn; {args.model_name} has none, so they are not used")
    model = models.build(args.model_name, num_classes, args.image_size, args.alpha_fr, args.gamma_fr)
    if args.pretrainmodel_dir:
        load_pretrained(model, args.pretrainmodel_dir)
    model.to(dev.device)
    log(f"model: {sum(p.numel() for p in model.parameters()):,} parameters")
    return model


def load_pretrained(model, folder):
    """A torchvision state dict (or this component's model.pt): the tensors whose name and
    shape match; a TensorFlow checkpoint (the upstream's) is skipped, saying so."""
    try:
        checkpoints.load_pretrained(model, folder, log)
    except Problem as p:
        if p.path == "--pre_trained_model_ckpt_path":
            p.path = "--pretrainmodel_dir"
        raise


def label_map_text(classes):
    return "".join(f"item {{\n  id: {i}\n  name: '{c}'\n}}\n" for i, c in enumerate(classes, 1))


def write_outputs(args, dev, classes, state, sizes, seconds, path):
    result = {"model_name": args.model_name, "best_epoch": state.best_epoch, "classes": list(classes), **state.best_eval}
    folder = args.output_path
    atomic_write_json(os.path.join(folder, "result.json"), result)
    atomic_write_text(os.path.join(folder, "label_map.pbtxt"), label_map_text(classes))
    curves.write(folder, state.history, COLUMNS, PANELS)
    atomic_write_json(os.path.join(folder, "metrics.json"), {
        "model_name": args.model_name,
        "device": dev.description,
        "amp": dev.amp,
        "input": path,
        "epochs": state.history,
        "map": result["map"],
        "map_50_95": result["map_50_95"],
        "precision": result["precision"],
        "recall": result["recall"],
        "best_epoch": state.best_epoch,
        "epochs_run": state.epoch,
        "stopped_early": state.stopped_early,
        "train_images": sizes[0],
        "validation_images": sizes[1],
        "seconds": round(seconds, 3),
    })
