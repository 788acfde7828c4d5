"""The AVES2 progress/metrics protocol.

Every event is one line on stdout: ``AVES2_EVENT `` followed by compact JSON,
flushed at once so the runner sees it live. Everything else a component
prints is treated by the runner as plain log text.

    {"type":"progress","epoch":1,"epochs":5,"step":10,"steps":45}
    {"type":"metric","epoch":1,"epochs":5,"loss":0.91,"accuracy":0.71,...}
    {"type":"summary","metrics":{"top1":0.93,...}}

Only the main process (rank 0) emits; other ranks are silent.
"""

import json
import sys
import time

from . import distributed
from .files import to_jsonable

PREFIX = "AVES2_EVENT "

# At most this many progress lines per second; the runner only needs a live
# bar, and a fast epoch could otherwise flood stdout with thousands of lines.
PROGRESS_MAX_PER_SECOND = 5

# Indirection so tests can drive the throttle with a fake clock.
_clock = time.monotonic
_last_progress_at = None


def emit(type, **fields):
    """Write one event line (main process only)."""
    if not distributed.is_main():
        return
    payload = {"type": type, **fields}
    line = json.dumps(to_jsonable(payload), separators=(",", ":"), allow_nan=False)
    sys.stdout.write(PREFIX + line + "\n")
    sys.stdout.flush()


def progress(epoch, epochs, step, steps):
    """Report training progress inside an epoch, throttled.

    The last step of an epoch is always emitted so the bar reaches 100%.
    """
    global _last_progress_at
    now = _clock()
    due = (
        _last_progress_at is None
        or now - _last_progress_at >= 1.0 / PROGRESS_MAX_PER_SECOND
    )
    if not (due or step >= steps):
        return
    _last_progress_at = now
    emit("progress", epoch=epoch, epochs=epochs, step=step, steps=steps)


def metric(epoch, epochs, **values):
    """Report the metrics of one finished epoch (loss, accuracy, val_loss, ...)."""
    emit("metric", epoch=epoch, epochs=epochs, **values)


def summary(**metrics):
    """Report the final metrics of the run, once, at the end."""
    emit("summary", metrics=metrics)
