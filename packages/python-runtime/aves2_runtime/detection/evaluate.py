"""Score a trained detector on a split (detection-evaluate's ``eval.py``, the upstream
val_objd): mAP@0.5, COCO mAP@[0.5:0.95], precision and recall at ``min_score_thresh``
and AP per class, in ``--output_path``/result.json under the upstream's names (map,
precision, recall, ap_per_class) and more (``metrics``)."""

import os
import time

from .. import device as devices
from .. import events
from ..files import atomic_write_json
from ..problems import Problem, refusing_bad_input
from ..tabular.args import parse_args
from ..vision import inputs as vision_inputs
from . import data, inputs, metrics, models, params, task, trained


def main(description, argv=None):
    args = parse_args(description, params.eval_table(), params.EVAL_FOLDERS, argv, empty_folders_unset=True)
    with refusing_bad_input():
        run(args)
    return 0


def score(model, source, args, dev):
    """Every image's detections, and the metrics of them against ``source``'s boxes."""
    models.set_score_floor(model, task.SCORE_FLOOR)
    model.to(dev.device)
    batches = vision_inputs.Batches(inputs.eval_loader(source, args.batch_size, dev), inputs.to_device(dev))
    found = task.detect(model, batches.epoch(0), dev, len(source), world=1, rank=0)
    return found, metrics.evaluate(source.truths(), found, source.classes, args.min_score_thresh)


def per_class_lines(result):
    lines = [f"{'class':>16s} {'AP@0.5':>8s} {'AP@.5:.95':>9s} {'precision':>9s} {'recall':>7s} {'boxes':>6s}"]
    for r in result["per_class"]:
        if r["ap"] is None:
            lines.append(f"{r['class']:>16s}  (no ground truth; {r['detections']} detections)")
        else:
            lines.append(f"{r['class']:>16s} {r['ap']:8.4f} {r['ap_50_95']:9.4f} {r['precision']:9.4f} {r['recall']:7.4f} {r['ground_truths']:6d}")
    return lines


def run(args):
    started = time.perf_counter()
    dev = devices.select_device()
    model, meta = trained.load(args.model_dir)
    classes = list(meta["classes"])
    print(f"model: {meta['model_name']} from {trained.model_file(args.model_dir)} (epoch {meta.get('epoch')}), classes {', '.join(classes)}, {meta.get('image_size')} px", flush=True)
    source = data.open_split(args.tfrecords_dir, args.split, "--tfrecords_dir", classes, "the model's")
    print(f"data: {source.describe()}", flush=True)
    if not source.objects():
        raise Problem(args.tfrecords_dir, f"the {args.split} split has no objects to score against", hint="annotate some, or use detection-predict")
    _, result = score(model, source, args, dev)
    seconds = time.perf_counter() - started
    for line in per_class_lines(result):
        print(line, flush=True)
    os.makedirs(args.output_path, exist_ok=True)
    atomic_write_json(os.path.join(args.output_path, "result.json"), {
        "model_name": meta["model_name"], "classes": classes, "data": source.describe(), **result, "seconds": round(seconds, 3),
    })
    events.summary(map=result["map"], map_50_95=result["map_50_95"], precision=result["precision"], recall=result["recall"], images=result["images"], device=dev.description)
    print(f"done: mAP@0.5 {result['map']:.4f}, mAP@0.5:0.95 {result['map_50_95']:.4f}, precision {result['precision']:.4f}, recall {result['recall']:.4f} "
          f"(score >= {args.min_score_thresh:g}) on {result['images']} images in {seconds:.1f}s", flush=True)
