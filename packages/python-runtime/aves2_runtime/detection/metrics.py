"""Detection metrics (numpy only): Pascal VOC mAP@0.5, COCO mAP@[0.5:0.95], and the
upstream val_objd's precision / recall at a score threshold.

Boxes are ``[x1, y1, x2, y2]`` in continuous pixel coordinates (x2 > x1; a box of one
pixel column is 1 wide), the convention of torchvision's ops; IoU is area-based, with
no VOC "+1".

``evaluate(truths, detections, classes)`` scores a whole set. ``truths``: one
``{"boxes": (N, 4), "labels": (N,), "difficult": (N,) optional}`` per image;
``detections``: one ``{"boxes": (M, 4), "scores": (M,), "labels": (M,)}`` per image,
in the same order. Labels are 0-based class indices (into ``classes``).

- **AP@0.5 (VOC)**: per class, every detection in score order (highest first; ties in
  image order) is a true positive when its best-overlapping ground-truth box has IoU
  >= 0.5 and was not matched before, else a false positive (VOC's rule: a second hit on
  a matched box is a false positive even if another box overlaps less). Difficult boxes
  count neither way: a detection matching one is ignored, and they are not in the
  recall's denominator. AP is the area under the precision/recall curve with precision
  made monotone (VOC 2010+ "all points", what the upstream TF Object Detection API
  computed). ``map`` is the mean over the classes with ground truth.
- **COCO mAP@[0.5:0.95]**: per class and IoU threshold t in 0.50, 0.55, ..., 0.95,
  detections (the 100 best per image) in score order each take the unmatched,
  non-difficult ground truth of highest IoU >= t (COCO's greedy matching; difficult boxes
  play COCO's "crowd" role: a detection on one is ignored); AP is the 101-point
  interpolated precision (recall 0, 0.01, ..., 1); the mean over thresholds and classes
  with ground truth.
- **precision / recall** (the upstream's result.json): per class, among detections with
  score >= ``score_thresh`` matched as for AP@0.5: TP / (TP + FP) and TP / ground truths;
  the mean over classes with ground truth (0 precision for a class with no detection).
"""

import numpy as np

COCO_THRESHOLDS = np.linspace(0.5, 0.95, 10)
COCO_RECALLS = np.linspace(0.0, 1.0, 101)
COCO_MAX_DETECTIONS = 100


def iou(a, b):
    """(len(a), len(b)) IoU matrix of two box arrays."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    area_a = (a[:, 2] - a[:, 0]).clip(0) * (a[:, 3] - a[:, 1]).clip(0)
    area_b = (b[:, 2] - b[:, 0]).clip(0) * (b[:, 3] - b[:, 1]).clip(0)
    w = (np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])).clip(0)
    h = (np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])).clip(0)
    inter = w * h
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def voc_ap(recall, precision):
    """Area under the monotone precision envelope, over every recall step ("all points")."""
    mrec = np.concatenate(([0.0], np.asarray(recall, dtype=np.float64), [1.0]))
    mpre = np.concatenate(([0.0], np.asarray(precision, dtype=np.float64), [0.0]))
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    steps = np.flatnonzero(mrec[1:] != mrec[:-1])
    return float(np.sum((mrec[steps + 1] - mrec[steps]) * mpre[steps + 1]))


def coco_ap(recall, precision):
    """COCO's 101-point interpolated AP: the mean, over recall r in 0, 0.01, ..., 1, of the
    best precision at a recall >= r (0 where the curve never reaches r)."""
    recall = np.asarray(recall, dtype=np.float64)
    envelope = np.maximum.accumulate(np.asarray(precision, dtype=np.float64)[::-1])[::-1] if len(recall) else recall
    at = np.searchsorted(recall, COCO_RECALLS, side="left")
    values = np.where(at < len(recall), envelope[np.minimum(at, max(len(recall) - 1, 0))] if len(recall) else 0.0, 0.0)
    return float(np.mean(values))


def _as_arrays(item, with_scores):
    boxes = np.asarray(item.get("boxes", np.zeros((0, 4))), dtype=np.float64).reshape(-1, 4)
    labels = np.asarray(item.get("labels", np.zeros(0)), dtype=np.int64).reshape(-1)
    if with_scores:
        return boxes, labels, np.asarray(item.get("scores", np.zeros(0)), dtype=np.float64).reshape(-1)
    difficult = item.get("difficult")
    difficult = np.zeros(len(labels), dtype=bool) if difficult is None else np.asarray(difficult, dtype=bool).reshape(-1)
    return boxes, labels, difficult


def _class_detections(truths, detections, c, max_per_image=None):
    """Per image: (gt boxes, gt difficult), and every detection of class ``c`` as
    (score, image, box), sorted by score, highest first (stable: ties keep image order)."""
    gts, dets = [], []
    for i, (t, d) in enumerate(zip(truths, detections)):
        boxes, labels, difficult = _as_arrays(t, False)
        gts.append((boxes[labels == c], difficult[labels == c]))
        dboxes, dlabels, scores = _as_arrays(d, True)
        keep = dlabels == c
        dboxes, scores = dboxes[keep], scores[keep]
        if max_per_image is not None:
            order = np.argsort(-scores, kind="stable")[:max_per_image]
            dboxes, scores = dboxes[order], scores[order]
        dets += [(float(s), i, b) for s, b in zip(scores, dboxes)]
    dets.sort(key=lambda x: -x[0])  # sort is stable
    return gts, dets


def _voc_match(gts, dets, threshold=0.5):
    """(tp, fp) flags in the order of ``dets``, and the number of non-difficult ground truths."""
    used = [np.zeros(len(b), dtype=bool) for b, _ in gts]
    positives = int(sum((~d).sum() for _, d in gts))
    tp, fp = np.zeros(len(dets)), np.zeros(len(dets))
    for k, (_, i, box) in enumerate(dets):
        boxes, difficult = gts[i]
        if not len(boxes):
            fp[k] = 1
            continue
        overlaps = iou(box, boxes)[0]
        j = int(np.argmax(overlaps))
        if overlaps[j] < threshold:
            fp[k] = 1
        elif difficult[j]:
            continue  # neither
        elif used[i][j]:
            fp[k] = 1
        else:
            tp[k], used[i][j] = 1, True
    return tp, fp, positives


def _coco_match(gts, dets, threshold):
    used = [np.zeros(len(b), dtype=bool) for b, _ in gts]
    positives = int(sum((~d).sum() for _, d in gts))
    tp, fp = np.zeros(len(dets)), np.zeros(len(dets))
    for k, (_, i, box) in enumerate(dets):
        boxes, difficult = gts[i]
        overlaps = iou(box, boxes)[0] if len(boxes) else np.zeros(0)
        best, best_iou = -1, threshold
        for j in np.argsort(difficult, kind="stable"):  # non-difficult first, as COCO puts crowds last
            if used[i][j] and not difficult[j]:
                continue
            if best >= 0 and not difficult[best] and difficult[j]:
                break  # a real match wins over a difficult one
            if overlaps[j] >= best_iou:
                best, best_iou = j, overlaps[j]
        if best < 0:
            fp[k] = 1
        elif difficult[best]:
            continue
        else:
            tp[k], used[i][best] = 1, True
    return tp, fp, positives


def _curve(tp, fp, positives):
    ctp, cfp = np.cumsum(tp), np.cumsum(fp)
    recall = ctp / positives if positives else np.zeros_like(ctp)
    precision = ctp / np.maximum(ctp + cfp, np.finfo(np.float64).eps)
    return recall, precision


def evaluate(truths, detections, classes, score_thresh=0.5):
    """The metrics of the module's doc: {"map", "map_50_95", "precision", "recall",
    "ap_per_class" {class: AP@0.5}, "per_class" [...], "images", "ground_truths",
    "detections"}. Classes without ground truth get None and stay out of the means."""
    if len(truths) != len(detections):
        raise ValueError(f"{len(truths)} images of ground truth but {len(detections)} of detections")
    rows = []
    for c, name in enumerate(classes):
        gts, dets = _class_detections(truths, detections, c)
        tp, fp, positives = _voc_match(gts, dets)
        row = {"class": name, "ground_truths": positives, "detections": len(dets)}
        if not positives:
            rows.append({**row, "ap": None, "ap_50_95": None, "precision": None, "recall": None})
            continue
        recall, precision = _curve(tp, fp, positives)
        kept = np.array([s >= score_thresh for s, _, _ in dets], dtype=bool)
        hits, misses = tp[kept].sum(), fp[kept].sum()
        coco_gts, coco_dets = _class_detections(truths, detections, c, COCO_MAX_DETECTIONS)
        coco = [coco_ap(*_curve(*_coco_match(coco_gts, coco_dets, t))) for t in COCO_THRESHOLDS]
        rows.append({
            **row,
            "ap": voc_ap(recall, precision),
            "ap_50_95": float(np.mean(coco)),
            "precision": float(hits / (hits + misses)) if hits + misses else 0.0,
            "recall": float(hits / positives),
        })
    scored = [r for r in rows if r["ap"] is not None]

    def mean(key):
        return float(np.mean([r[key] for r in scored])) if scored else 0.0

    return {
        "map": mean("ap"),
        "map_50_95": mean("ap_50_95"),
        "precision": mean("precision"),
        "recall": mean("recall"),
        "ap_per_class": {r["class"]: r["ap"] for r in rows},
        "per_class": rows,
        "images": len(truths),
        "ground_truths": int(sum(r["ground_truths"] for r in rows)),
        "detections": int(sum(len(_as_arrays(d, True)[1]) for d in detections)),
        "score_thresh": score_thresh,
    }
