# Run from the repository root:
#   /usr/bin/python3 -m unittest discover -s packages/python-runtime/tests -t packages/python-runtime
import contextlib
import io
import json
import os
import unittest
from unittest import mock

import numpy as np

from aves2_runtime import events


def capture(fn, *args, **kwargs):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        fn(*args, **kwargs)
    return out.getvalue().splitlines()


def parse(line):
    assert line.startswith(events.PREFIX), line
    return json.loads(line[len(events.PREFIX):])


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@mock.patch.dict(os.environ, {"RANK": "0"})
class EventLineTest(unittest.TestCase):
    def test_progress_line_is_exact(self):
        with mock.patch.object(events, "_last_progress_at", None):
            lines = capture(events.progress, 1, 5, 10, 45)
        self.assertEqual(
            lines,
            ['AVES2_EVENT {"type":"progress","epoch":1,"epochs":5,"step":10,"steps":45}'],
        )

    def test_metric_shape(self):
        (line,) = capture(
            events.metric, 1, 5, loss=0.91, accuracy=0.71, val_loss=0.5, val_accuracy=0.83
        )
        self.assertEqual(
            parse(line),
            {"type": "metric", "epoch": 1, "epochs": 5, "loss": 0.91,
             "accuracy": 0.71, "val_loss": 0.5, "val_accuracy": 0.83},
        )
        self.assertNotIn(" ", line[len(events.PREFIX):])  # compact JSON

    def test_summary_nests_metrics(self):
        (line,) = capture(events.summary, top1=0.93, epochs=3, device="cpu")
        self.assertEqual(
            parse(line),
            {"type": "summary", "metrics": {"top1": 0.93, "epochs": 3, "device": "cpu"}},
        )

    def test_non_finite_floats_become_null(self):
        (line,) = capture(
            events.metric, 2, 5, loss=float("nan"), lr=float("inf"),
            accuracy=np.float32("-inf"), val_loss=np.float64(0.25), steps=np.int64(7),
        )
        data = parse(line)  # json.loads of the line itself must succeed
        self.assertIsNone(data["loss"])
        self.assertIsNone(data["lr"])
        self.assertIsNone(data["accuracy"])
        self.assertEqual(data["val_loss"], 0.25)
        self.assertEqual(data["steps"], 7)
        self.assertNotIn("NaN", line)
        self.assertNotIn("Infinity", line)

    def test_non_main_rank_is_silent(self):
        with mock.patch.dict(os.environ, {"RANK": "1", "WORLD_SIZE": "2"}):
            self.assertEqual(capture(events.summary, top1=1.0), [])
            self.assertEqual(capture(events.metric, 1, 1, loss=0.1), [])


@mock.patch.dict(os.environ, {"RANK": "0"})
class ProgressThrottleTest(unittest.TestCase):
    def setUp(self):
        self.clock = FakeClock()
        patches = [
            mock.patch.object(events, "_clock", self.clock),
            mock.patch.object(events, "_last_progress_at", None),
        ]
        for p in patches:
            p.start()
            self.addCleanup(p.stop)

    def steps_emitted(self, steps, seconds_per_step):
        emitted = []
        for step in range(1, steps + 1):
            for line in capture(events.progress, 1, 1, step, steps):
                emitted.append(parse(line)["step"])
            self.clock.now += seconds_per_step
        return emitted

    def test_fast_steps_are_throttled_but_last_step_is_kept(self):
        # 100 steps in 1 second: about 5 lines, plus the final step.
        emitted = self.steps_emitted(100, 0.01)
        self.assertEqual(emitted[0], 1)
        self.assertEqual(emitted[-1], 100)
        self.assertLessEqual(len(emitted), events.PROGRESS_MAX_PER_SECOND + 2)

    def test_slow_steps_are_all_emitted(self):
        self.assertEqual(self.steps_emitted(5, 1.0), [1, 2, 3, 4, 5])

    def test_last_step_of_every_epoch_is_emitted(self):
        for epoch in (1, 2):
            lines = capture(events.progress, epoch, 2, 1, 2)
            lines += capture(events.progress, epoch, 2, 2, 2)  # same instant
            self.assertEqual(parse(lines[-1])["step"], 2)
            self.assertEqual(parse(lines[-1])["epoch"], epoch)


if __name__ == "__main__":
    unittest.main()
