"""Reading lines with a trained CRNN: the validation pass of training, ocr-evaluate
(``evaluate_main``, the upstream's tools/evaluate_shadownet.py) and ocr-predict
(``predict_main``, tools/test_shadownet.py).

Outputs (result_dir, rank 0):
- evaluate: result.json (sequence_accuracy, cer, per_char_accuracy, counts, the model),
  predictions.txt (``name<TAB>label<TAB>prediction<TAB>edits`` per line), errors.txt
  (the lines read wrong, same columns);
- predict: predictions.txt (``name<TAB>prediction``), result.json (counts; the metrics
  too when the images come with a sample.txt).
"""

import os
import time

from .. import device as devices
from .. import distributed, events
from ..files import atomic_write_json, atomic_write_text
from ..problems import refusing_bad_input
from ..tabular.args import parse_args
from ..vision import training
from . import batches as lines
from . import checkpoint, data, decoding, metrics
from . import model as crnn
from . import params


def log(message):
    if distributed.is_main():
        print(message, flush=True)


def read_lines(net, batches, size, charset, dev, with_loss=True):
    """(predictions in Split order, mean CTC loss per character or None) over ``batches``
    (this rank's share; the ranks' predictions are gathered)."""
    import torch
    import torch.nn.functional as F

    net.eval()
    found, loss_sum, counted = {}, 0.0, 0
    with torch.no_grad():
        for images, widths, targets, lengths, indices in batches.epoch(0):
            with training.autocast(dev):
                log_probs = net(images, widths)
            log_probs = log_probs.float()
            t = crnn.steps(widths)
            if with_loss and int(lengths.min()) > 0:
                per_line = F.ctc_loss(log_probs, targets, t, lengths, reduction="none", zero_infinity=True)
                loss_sum += float((per_line / lengths.clamp(min=1)).sum())
                counted += len(widths)
            for i, path in zip(indices.tolist(), decoding.greedy(log_probs, t)):
                found[i] = charset.decode(path)
    if distributed.is_initialized():
        import torch.distributed as dist

        parts = [None] * distributed.world_size()
        dist.all_gather_object(parts, (found, loss_sum, counted))
        found = {k: v for part, _, _ in parts for k, v in part.items()}
        loss_sum, counted = sum(p[1] for p in parts), sum(p[2] for p in parts)
    predictions = [found.get(i, "") for i in range(size)]
    return predictions, (loss_sum / counted if with_loss and counted else None)


def table(split, predictions, wrong_only=False):
    """predictions.txt: name, label, prediction, edit distance (tab-separated)."""
    return "".join(f"{s.name}\t{s.label}\t{p}\t{metrics.edit_distance(s.label, p)}\n"
                   for s, p in zip(split.samples, predictions) if not wrong_only or s.label != p)


def _open_model(args, dev, component):
    file, saved, charset = checkpoint.load(args.model_save_dir, "--model_save_dir", component)
    checkpoint.check_dictionary(charset, args.char_dict_path, args.ord_map_dict_path)
    net = checkpoint.build_model(saved).to(dev.device)
    log(f"model: {file}: CRNN, {charset.describe()}, {saved['image_height']} px high (epoch {saved.get('epoch', '?')})")
    return net, saved, charset


def _batches(split, saved, charset, batch_size, dev):
    dataset = lines.LineImages(split.samples, charset, int(saved["image_height"]), int(saved["max_width"]))
    return lines.eval_batches(dataset, batch_size, dev)


def evaluate_main(description, argv=None):
    args = parse_args(description, params.evaluate_table(), params.EVALUATE_FOLDERS, argv, empty_folders_unset=True)
    with distributed.ending(), refusing_bad_input():
        _run(_evaluate, args)
    return 0


def predict_main(description, argv=None):
    args = parse_args(description, params.predict_table(), params.PREDICT_FOLDERS, argv, empty_folders_unset=True)
    with distributed.ending(), refusing_bad_input():
        _run(_predict, args)
    return 0


def _run(job, args):
    started = time.perf_counter()
    dev = devices.select_device()
    distributed.init(cuda=dev.cuda)
    log(f"device: {dev.description}, world size {distributed.world_size()}")
    job(args, dev, started)
    distributed.barrier()


def _evaluate(args, dev, started):
    net, saved, charset = _open_model(args, dev, "ocr-evaluate")
    split = data.open_for_evaluation(args.dataset_dir)
    data.check_labels(split, charset, "the model's characters")
    data.check_images(split)
    log(f"data: {split.describe()}")
    predictions, loss = read_lines(net, _batches(split, saved, charset, args.batch_size, dev), len(split.samples), charset, dev)
    result = metrics.summary(split.labels(), predictions)
    seconds = time.perf_counter() - started
    if distributed.is_main() and args.result_dir:
        os.makedirs(args.result_dir, exist_ok=True)
        atomic_write_json(os.path.join(args.result_dir, "result.json"), {
            **result, "ctc_loss": loss, "data": split.file, "model": args.model_save_dir,
            "model_characters": charset.text, "seconds": round(seconds, 3),
        })
        atomic_write_text(os.path.join(args.result_dir, "predictions.txt"), table(split, predictions))
        atomic_write_text(os.path.join(args.result_dir, "errors.txt"), table(split, predictions, wrong_only=True))
    for s, p in list(zip(split.samples, predictions))[:5]:
        log(f"predict {s.name}: label {s.label!r}, predicted {p!r}")
    events.summary(sequence_accuracy=result["sequence_accuracy"], cer=result["cer"], per_char_accuracy=result["per_char_accuracy"], lines=result["lines"])
    log(f"done: sequence accuracy {result['sequence_accuracy']:.4f}, CER {result['cer']:.4f}, per-char accuracy "
        f"{result['per_char_accuracy']:.4f} on {result['lines']:,} lines in {seconds:.1f}s")


def _predict(args, dev, started):
    net, saved, charset = _open_model(args, dev, "ocr-predict")
    split = data.open_for_prediction(args.image_path)
    labelled = all(s.label is not None for s in split.samples)
    if labelled:
        # lines whose labels the model cannot write are read all the same, and scored as they are
        unknown = sum(1 for s in split.samples if charset.missing(s.label))
        if unknown:
            log(f"warning: {unknown} label(s) have characters the model does not know: those lines cannot be read right")
    data.check_images(split)
    log(f"images: {split.describe()}" + ("; its labels score the predictions" if labelled else ", no labels"))
    safe = [s._replace(label=None) for s in split.samples]  # no targets: the labels may hold unknown characters
    dataset = lines.LineImages(safe, charset, int(saved["image_height"]), int(saved["max_width"]))
    predictions, _ = read_lines(net, lines.eval_batches(dataset, args.batch_size, dev), len(safe), charset, dev, with_loss=False)
    for s, p in list(zip(split.samples, predictions))[:10]:
        log(f"predict {s.name}: {p}")
    seconds = time.perf_counter() - started
    result = {"lines": len(predictions)}
    if labelled:
        result.update(metrics.summary(split.labels(), predictions))
    if distributed.is_main() and args.result_dir:
        os.makedirs(args.result_dir, exist_ok=True)
        atomic_write_text(os.path.join(args.result_dir, "predictions.txt"), "".join(f"{s.name}\t{p}\n" for s, p in zip(split.samples, predictions)))
        atomic_write_json(os.path.join(args.result_dir, "result.json"), {**result, "images": args.image_path, "model": args.model_save_dir, "seconds": round(seconds, 3)})
    events.summary(**{k: result[k] for k in ("lines", "sequence_accuracy", "cer") if k in result})
    scored = f", sequence accuracy {result['sequence_accuracy']:.4f}, CER {result['cer']:.4f}" if labelled else ""
    log(f"done: {len(predictions):,} lines read{scored} in {seconds:.1f}s")
