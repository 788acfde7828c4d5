"""aves2_runtime.detection.metrics against cases worked out by hand (each test's comment
shows the arithmetic)."""

import unittest

import numpy as np

from aves2_runtime.detection import metrics

A, B = [0, 0, 10, 10], [20, 20, 30, 30]


def truth(boxes, labels=None, difficult=None):
    t = {"boxes": np.array(boxes, dtype=float).reshape(-1, 4), "labels": np.array(labels if labels is not None else [0] * len(boxes))}
    if difficult is not None:
        t["difficult"] = np.array(difficult, dtype=bool)
    return t


def found(boxes, scores, labels=None):
    return {"boxes": np.array(boxes, dtype=float).reshape(-1, 4), "scores": np.array(scores, dtype=float), "labels": np.array(labels if labels is not None else [0] * len(boxes))}


class IouTest(unittest.TestCase):
    def test_overlaps(self):
        # half of A overlaps [5, 0, 15, 10]: 50 / (100 + 100 - 50)
        np.testing.assert_allclose(metrics.iou([A], [[5, 0, 15, 10], A, B]), [[1 / 3, 1.0, 0.0]])
        self.assertEqual(metrics.iou(np.zeros((0, 4)), [A]).shape, (0, 1))


class ApTest(unittest.TestCase):
    def test_voc_all_points(self):
        # precision envelope 1 up to recall .5, 2/3 up to 1: .5 x 1 + .5 x 2/3
        self.assertAlmostEqual(metrics.voc_ap([0.5, 0.5, 1.0], [1.0, 0.5, 2 / 3]), 5 / 6)

    def test_coco_101_points(self):
        # recall 0, .01 ... .50 (51 points) at precision 1, .51 ... 1 (50 points) at 2/3
        self.assertAlmostEqual(metrics.coco_ap([0.5, 0.5, 1.0], [1.0, 0.5, 2 / 3]), (51 + 50 * 2 / 3) / 101)
        self.assertEqual(metrics.coco_ap([], []), 0.0)


class EvaluateTest(unittest.TestCase):
    def test_one_class_hand_computed(self):
        # d1 = A (TP, IoU 1), d2 far away (FP), d3 on B with IoU 100/120 = .833 (TP)
        # precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1: VOC AP 5/6
        # COCO: for t <= .80 (7 thresholds) the same AP101 (51 + 50 x 2/3) / 101; for t = .85, .9,
        # .95 d3 is a FP: 51 / 101. Mean (7 x .834983 + 3 x .504950) / 10
        r = metrics.evaluate([truth([A, B])], [found([A, [50, 50, 60, 60], [20, 20, 30, 32]], [0.9, 0.8, 0.7])], ["thing"], score_thresh=0.75)
        self.assertAlmostEqual(r["map"], 5 / 6)
        high, low = (51 + 50 * 2 / 3) / 101, 51 / 101
        self.assertAlmostEqual(r["map_50_95"], (7 * high + 3 * low) / 10)
        # score >= .75 keeps d1 (TP) and d2 (FP): precision 1/2, recall 1/2
        self.assertAlmostEqual(r["precision"], 0.5)
        self.assertAlmostEqual(r["recall"], 0.5)
        self.assertEqual(r["ap_per_class"], {"thing": r["map"]})
        self.assertEqual((r["images"], r["ground_truths"], r["detections"]), (1, 2, 3))

    def test_a_second_hit_on_a_matched_box_is_a_false_positive(self):
        # precision 1, 1/2 at recall 1, 1: AP 1; the duplicate only costs precision
        r = metrics.evaluate([truth([A])], [found([A, A], [0.9, 0.8])], ["thing"], score_thresh=0.5)
        self.assertAlmostEqual(r["map"], 1.0)
        self.assertAlmostEqual(r["precision"], 0.5)
        self.assertAlmostEqual(r["recall"], 1.0)

    def test_voc_and_coco_matching_differ(self):
        # B' = [0, 2, 10, 10] overlaps A by .8. d2 = [0, 1, 10, 10]: IoU .9 with A (taken by d1),
        # 80 / 90 = .889 with B'. VOC takes the best box, A, taken: FP, AP 1/2 (recall 1/2 at
        # precision 1). COCO takes the best free one, B': TP for t <= .85 (8 thresholds, AP 1),
        # FP for .9 and .95 (AP 51/101).
        b2 = [0, 2, 10, 10]
        r = metrics.evaluate([truth([A, b2])], [found([A, [0, 1, 10, 10]], [0.9, 0.8])], ["thing"])
        self.assertAlmostEqual(r["map"], 0.5)
        self.assertAlmostEqual(r["map_50_95"], (8 * 1.0 + 2 * 51 / 101) / 10)

    def test_difficult_boxes_count_neither_way(self):
        # the hit on the difficult A is ignored, B is found: precision 1 at recall 1 (of 1 box)
        r = metrics.evaluate([truth([A, B], difficult=[True, False])], [found([A, B], [0.9, 0.8])], ["thing"])
        self.assertAlmostEqual(r["map"], 1.0)
        self.assertAlmostEqual(r["map_50_95"], 1.0)
        self.assertEqual(r["per_class"][0]["ground_truths"], 1)
        self.assertAlmostEqual(r["precision"], 1.0)

    def test_classes_images_and_misses(self):
        # class a: image 1's A found (AP 1); class b: image 2's B missed, a box on nothing (AP 0)
        # class c: no ground truth, so not in the means, however many boxes it has
        truths = [truth([A], [0]), truth([B], [1])]
        dets = [found([A, B], [0.9, 0.6], [0, 2]), found([[40, 40, 50, 50]], [0.7], [1])]
        r = metrics.evaluate(truths, dets, ["a", "b", "c"])
        self.assertEqual(r["ap_per_class"], {"a": 1.0, "b": 0.0, "c": None})
        self.assertAlmostEqual(r["map"], 0.5)
        self.assertAlmostEqual(r["precision"], 0.5)  # (1 + 0) / 2
        self.assertAlmostEqual(r["recall"], 0.5)
        self.assertEqual(r["per_class"][2], {"class": "c", "ground_truths": 0, "detections": 1, "ap": None, "ap_50_95": None, "precision": None, "recall": None})

    def test_nothing_detected(self):
        r = metrics.evaluate([truth([A])], [found([], [])], ["thing"])
        self.assertEqual((r["map"], r["map_50_95"], r["precision"], r["recall"]), (0.0, 0.0, 0.0, 0.0))

    def test_ties_keep_image_order(self):
        # equal scores: image 1's FP comes before image 2's TP: precision 0, 1/2 at recall 0, 1
        # envelope: 1/2 up to recall 1: AP 1/2
        r = metrics.evaluate([truth([]), truth([A])], [found([A], [0.5]), found([A], [0.5])], ["thing"])
        self.assertAlmostEqual(r["map"], 0.5)

    def test_coco_keeps_the_100_best_boxes_per_image(self):
        # 100 boxes on nothing outscore the hit: COCO drops it (AP 0), VOC does not (AP 1/101)
        misses = [[50 + i, 50, 60 + i, 60] for i in range(100)]
        r = metrics.evaluate([truth([A])], [found(misses + [A], [0.9] * 100 + [0.1])], ["thing"], score_thresh=0.5)
        self.assertAlmostEqual(r["map"], 1 / 101)
        self.assertEqual(r["map_50_95"], 0.0)


if __name__ == "__main__":
    unittest.main()
