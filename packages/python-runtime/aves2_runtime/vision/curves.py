"""The training curves: curves.csv (one row per epoch) and curves.png, drawn with PIL
(matplotlib is not in the images, and TensorBoard summaries need TensorFlow).

Validation columns are empty in epochs without an evaluation (eval_every_epochs).
"""

import csv
import io
import math
import os

from ..files import atomic_write, atomic_write_text

COLUMNS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds", "images_per_second")

# (panel title, y label, [(column, colour, legend)])
PANELS = (
    ("loss", "cross-entropy", [("loss", (31, 119, 180), "train"), ("val_loss", (255, 127, 14), "validation")]),
    ("accuracy", "top-1 accuracy", [("accuracy", (31, 119, 180), "train"), ("val_accuracy", (255, 127, 14), "validation")]),
)
PANEL_W, PANEL_H = 480, 360
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 34, 48  # margins around each plot area


def csv_text(history, columns=COLUMNS):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for record in history:
        writer.writerow(["" if record.get(c) is None else record[c] for c in columns])
    return buf.getvalue()


def write(folder, history, columns=COLUMNS, panels=PANELS):
    """curves.csv and curves.png in ``folder``. Other tasks give their own ``columns``
    (the history's keys) and ``panels`` ((title, y label, [(column, colour, legend)]))."""
    os.makedirs(folder, exist_ok=True)
    atomic_write_text(os.path.join(folder, "curves.csv"), csv_text(history, columns))
    image = draw(history, panels)
    atomic_write(os.path.join(folder, "curves.png"), lambda tmp: image.save(tmp, format="PNG"))


def draw(history, panels=PANELS):
    """A PIL image: loss and accuracy over the epochs, train and validation."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (PANEL_W * len(panels), PANEL_H), "white")
    pen = ImageDraw.Draw(image)
    for i, (title, ylabel, series) in enumerate(panels):
        _panel(pen, i * PANEL_W, history, title, ylabel, series)
    return image


def _finite(v):
    return v is not None and isinstance(v, (int, float)) and math.isfinite(v)


def _panel(pen, x0, history, title, ylabel, series):
    epochs = [r["epoch"] for r in history]
    values = [r[c] for r in history for c, _, _ in series if _finite(r.get(c))]
    # both start at 0: losses and accuracies are not negative
    lo, hi = 0.0, max(values + [1e-3 if title == "loss" else 1.0])
    step = _nice_step(hi / 4)
    hi = step * math.ceil(hi / step - 1e-9)
    first, last = (min(epochs), max(epochs)) if epochs else (0, 1)
    span = max(last - first, 1)
    left, right, top, bottom = x0 + LEFT, x0 + PANEL_W - RIGHT, TOP, PANEL_H - BOTTOM

    def at(epoch, value):
        x = left + (epoch - first) / span * (right - left)
        y = bottom - (value - lo) / (hi - lo) * (bottom - top)
        return x, y

    grey, black = (200, 200, 200), (0, 0, 0)
    pen.rectangle([left, top, right, bottom], outline=black)
    for k in range(round(hi / step) + 1):  # y ticks
        value = k * step
        _, y = at(first, value)
        pen.line([left, y, right, y], fill=grey)
        _text(pen, (left - 6, y), f"{value:.4g}", "rm")
    for epoch in _ticks(first, last):
        x, _ = at(epoch, lo)
        pen.line([x, bottom, x, bottom + 4], fill=black)
        _text(pen, (x, bottom + 6), str(epoch), "ma")
    _text(pen, ((left + right) / 2, PANEL_H - 6), "epoch", "md")
    _text(pen, (x0 + 4, top - 8), ylabel, "ld")
    _text(pen, ((left + right) / 2, 6), title, "ma")
    for j, (column, colour, legend) in enumerate(series):
        points = [at(r["epoch"], r[column]) for r in history if _finite(r.get(column))]
        if len(points) > 1:
            pen.line(points, fill=colour, width=2)
        for x, y in points:
            pen.ellipse([x - 2.5, y - 2.5, x + 2.5, y + 2.5], fill=colour)
        # the legend where the curves are not: top right for falling losses, bottom right for rising accuracies
        ly = top + 10 + 14 * j if title == "loss" else bottom - 10 - 14 * (len(series) - 1 - j)
        pen.line([right - 100, ly, right - 80, ly], fill=colour, width=2)
        _text(pen, (right - 76, ly), legend, "lm")


def _text(pen, xy, text, anchor):
    """``text`` placed by a two-letter anchor (l/m/r, a/m/d), computed here: older Pillows
    ignore ``anchor=`` with their built-in bitmap font."""
    box = pen.textbbox((0, 0), text)
    w, h = box[2] - box[0], box[3] - box[1]
    x = xy[0] - {"l": 0, "m": w / 2, "r": w}[anchor[0]]
    y = xy[1] - {"a": 0, "m": h / 2, "d": h}[anchor[1]]
    pen.text((x, y), text, fill=(0, 0, 0))


def _nice_step(raw):
    """The smallest of 1, 2, 2.5, 5 x 10^k that is at least ``raw``."""
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw * (1 - 1e-9))


def _ticks(first, last, most=10):
    step = max(1, math.ceil((last - first + 1) / most))
    return list(range(first, last + 1, step))
