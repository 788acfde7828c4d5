"""Detect objects with a trained detector (detection-predict's ``test.py``, the upstream
test_objd): for every image of ``--data_dir`` (a dataset's split, ``ImageSets``' val list
as upstream, or a folder of images), the boxes scoring at least ``min_score_thresh``:

- ``<name>.json``: {"image", "width", "height", "boxes": [{"class", "label" (1-based, the
  label map's id), "score", "box": [x1, y1, x2, y2] in pixels}]}
- ``<name><ext>``: the image with the boxes drawn (the upstream's output)
- ``predictions.json``: every image's, in one file; ``result.json``: counts, and when the
  images have annotations, the metrics of the kept boxes' run (as detection-evaluate).
"""

import io
import os
import re
import time

from .. import device as devices
from .. import events
from ..files import atomic_write, atomic_write_json
from ..problems import Problem, refusing_bad_input
from ..tabular.args import parse_args
from . import data, draw, evaluate, params, trained


def main(description, argv=None):
    args = parse_args(description, params.predict_table(), params.PREDICT_FOLDERS, argv, empty_folders_unset=True)
    with refusing_bad_input():
        run(args)
    return 0


def open_input(root, split, classes):
    """A dataset's split (annotated), else the images of the folder (or of its JPEGImages/)."""
    if os.path.isdir(root) and os.path.isdir(os.path.join(root, "JPEGImages")) and not os.path.isdir(os.path.join(root, "Annotations")):
        return data.open_images(os.path.join(root, "JPEGImages"), "--data_dir")
    try:
        data.layout_of(root)
    except Problem:
        return data.open_images(root, "--data_dir")
    return data.open_split(root, split, "--data_dir", classes, "the model's")


def safe_name(name):
    return re.sub(r"[^A-Za-z0-9._-]+", "_", os.path.splitext(name)[0]) or "image"


def run(args):
    from PIL import Image

    started = time.perf_counter()
    dev = devices.select_device()
    model, meta = trained.load(args.model_dir)
    classes = list(meta["classes"])
    print(f"model: {meta['model_name']} from {trained.model_file(args.model_dir)}, classes {', '.join(classes)}", flush=True)
    source = open_input(args.data_dir, args.split, classes)
    source.classes = classes
    print(f"data: {source.describe()}", flush=True)
    found, result = evaluate.score(model, source, args, dev)
    os.makedirs(args.output_path, exist_ok=True)
    everything, kept_total, used = [], 0, set()
    for i, (item, d) in enumerate(zip(source.items, found)):
        keep = d["scores"] >= args.min_score_thresh
        boxes = [
            {"class": classes[int(l)], "label": int(l) + 1, "score": round(float(s), 4), "box": [round(float(v), 2) for v in b]}
            for b, s, l in zip(d["boxes"][keep], d["scores"][keep], d["labels"][keep])
        ]
        kept_total += len(boxes)
        base = safe_name(os.path.basename(item.name))
        while base in used:
            base += "_"
        used.add(base)
        ext = os.path.splitext(item.path)[1] if item.path else ".jpg"
        record = {"image": os.path.basename(item.path) if item.path else item.name, "width": item.width, "height": item.height, "boxes": boxes}
        everything.append(record)
        atomic_write_json(os.path.join(args.output_path, f"{base}.json"), record)
        with Image.open(io.BytesIO(source.read(i))) as im:
            picture = draw.draw_boxes(im, boxes)
        fmt = "PNG" if ext.lower() == ".png" else "JPEG"
        atomic_write(os.path.join(args.output_path, base + (ext if fmt == "PNG" or ext.lower() in (".jpg", ".jpeg") else ".jpg")),
                     lambda tmp, p=picture, f=fmt: p.save(tmp, format=f, **({"quality": 90} if f == "JPEG" else {})))
    annotated = source.objects() > 0
    summary = {"images": len(source), "boxes": kept_total, "min_score_thresh": args.min_score_thresh}
    if annotated:
        summary.update(map=result["map"], map_50_95=result["map_50_95"], precision=result["precision"], recall=result["recall"])
    seconds = time.perf_counter() - started
    atomic_write_json(os.path.join(args.output_path, "predictions.json"), everything)
    atomic_write_json(os.path.join(args.output_path, "result.json"), {
        "model_name": meta["model_name"], "classes": classes, "data": source.describe(), **summary,
        **({"ap_per_class": result["ap_per_class"], "per_class": result["per_class"]} if annotated else {}), "seconds": round(seconds, 3),
    })
    events.summary(**summary, device=dev.description)
    scored = f"; on its annotations: mAP@0.5 {result['map']:.4f}, precision {result['precision']:.4f}, recall {result['recall']:.4f}" if annotated else ""
    print(f"done: {kept_total} boxes with score >= {args.min_score_thresh:g} on {len(source)} images in {seconds:.1f}s{scored}", flush=True)
