"""Train a small Keras network on data_dir/train.csv (20% held out for validation).

    python3 train.py --data_dir DIR --output_path DIR [--target label]
        [--epochs 50] [--batch_size 16] [--lr 0.01] [--hidden_units 32]
"""

import argparse
import os
import sys

import numpy as np

from aves2_runtime import events, metrics
from aves2_runtime.files import atomic_write_json
from aves2_runtime.tables import read_labeled_csv


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data_dir", required=True)
    p.add_argument("--output_path", required=True)
    p.add_argument("--target", default="label")
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--batch_size", type=int, default=16)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--hidden_units", type=int, default=32)
    return p.parse_args(argv)


def read_csv(path, target):
    _, rows, labels = read_labeled_csv(path, target)
    classes = sorted(set(labels))
    return np.array(rows, dtype="float32"), np.array([classes.index(v) for v in labels]), classes


def main(argv=None):
    args = parse_args(argv)
    try:
        x, y, classes = read_csv(os.path.join(args.data_dir, "train.csv"), args.target)
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    import tensorflow as tf  # here, so that a bad CSV fails fast without loading TensorFlow

    tf.keras.utils.set_random_seed(0)
    order = np.random.default_rng(0).permutation(len(x))
    split = int(len(x) * 0.8)
    train, val = order[:split], order[split:]

    norm = tf.keras.layers.Normalization()
    norm.adapt(x[train])
    model = tf.keras.Sequential([
        tf.keras.Input(shape=(x.shape[1],)),
        norm,
        tf.keras.layers.Dense(args.hidden_units, activation="relu"),
        tf.keras.layers.Dense(len(classes)),
    ])
    model.compile(
        optimizer=tf.keras.optimizers.Adam(args.lr),
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )

    class Events(tf.keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            events.metric(epoch + 1, args.epochs, **{k: float(v) for k, v in logs.items()})

    model.fit(x[train], y[train], validation_data=(x[val], y[val]), epochs=args.epochs,
              batch_size=args.batch_size, verbose=2, callbacks=[Events()])
    cm = metrics.confusion_matrix(y[val], model.predict(x[val], verbose=0).argmax(1), len(classes))

    os.makedirs(args.output_path, exist_ok=True)
    model.save(os.path.join(args.output_path, "model.keras"))
    atomic_write_json(os.path.join(args.output_path, "metrics.json"),
                      {"accuracy": metrics.top1(cm), "classes": classes, "per_class": metrics.per_class_report(cm, classes)})
    events.summary(accuracy=metrics.top1(cm))
    return 0


if __name__ == "__main__":
    sys.exit(main())
