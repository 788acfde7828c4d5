"""Checks of the labels against ``--num_class`` and between train and validation, and the held-out split."""

import os

import numpy as np
import torch

from ...problems import Problem
from .detection import open_images
from .image_source import detect_label_base
from .images import preview
from .tfrecord_source import LABEL

#: Share of the training images held out when no validation data is given.
HOLDOUT_FRACTION = 0.2


def check_labels(source, num_class, what=None, detect_base=True):
    """Check the labels against ``--num_class``; returns the ``num_class`` class names for reports.

    Named classes (ImageFolder, CSV of names) must number exactly
    ``num_class``. Integer labels must lie in [0, num_class) after the base
    shift; an undecided base becomes 1 when the largest label equals
    ``num_class`` (labels 1..num_class), unless ``detect_base`` is false (a
    validation set that must keep train's base).
    """
    what = what or source.what
    if not source.integer_labels:
        if len(source.classes) != num_class:
            kind = "class folders" if source.format == "imagefolder" else f"classes in {os.path.basename(source.csv_path)}"
            raise Problem(
                None,
                f"--num_class is {num_class} but {what} has {len(source.classes)} {kind} ({preview(source.classes)})",
                hint=f"set num_class to {len(source.classes)}",
            )
        return list(source.classes)
    raw = source._raw
    if detect_base and not source.label_base_sure:
        base, sure = detect_label_base(raw, num_class)
        if sure:
            source.set_label_base(base, True)
    labels = source.labels
    bad = np.flatnonzero((labels < 0) | (labels >= num_class))
    if len(bad):
        i = int(bad[0])
        base = source.label_base
        hi = int(raw.max())
        need = hi - base + 1
        key = LABEL if source.format == "tfrecord" else "label"
        message = f"{key} is {int(raw[i])}, outside {base}..{num_class - 1 + base} for --num_class {num_class} ({'1-based labels' if base else 'labels are 0-based'})"
        hint = f"set num_class to {need} (the largest label is {hi})" if need > num_class else "labels must not be negative"
        if len(bad) > 1:
            message += f"; {len(bad):,} images in all"
        raise source.label_problem(i, message, hint=hint)
    names = list(source.classes[:num_class])
    return names + [str(i) for i in range(len(names), num_class)]


def check_validation(train, validation, num_class=None, train_what=None, validation_what=None):
    """Make ``validation`` use ``train``'s classes.

    Named classes (ImageFolder, CSV of names) may be a subset of train's and
    are relabelled to train's indices; a class train lacks is a Problem.
    Integer labels take train's base (decided on both sets together, with
    ``num_class``, when train's own labels leave it open); TFRecord class
    names (``image/class/text``) must not contradict train's.
    """
    train_what = train_what or train.what
    validation_what = validation_what or validation.what
    if train.integer_labels != validation.integer_labels:
        kinds = {True: "class numbers", False: "class names"}
        raise Problem(
            None,
            f"{validation_what} ({validation.format}) has {kinds[validation.integer_labels]} but {train_what} ({train.format}) has {kinds[train.integer_labels]}",
            hint="give both in the same layout",
        )
    if not train.integer_labels:
        known = set(train.classes)
        extra = [c for c in validation.classes if c not in known]
        if extra:
            noun = "class folders" if validation.format == "imagefolder" else "classes"
            raise Problem(
                None,
                f"{validation_what} {noun} ({preview(validation.classes)}) differ from {train_what} ({preview(train.classes)})",
                hint=f"{train_what} has no {preview(extra, 3)}",
            )
        if validation.classes != train.classes:
            validation.remap_classes(train.classes)
        return
    if not train.label_base_sure:
        base, sure = detect_label_base(np.concatenate([train._raw, validation._raw]), num_class)
        if sure:
            train.set_label_base(base, True)
    # A validation set's own labels say little (a few classes may be missing), so train's base rules;
    # a label that then falls outside the classes is reported by check_labels.
    validation.set_label_base(train.label_base, train.label_base_sure)
    if train.format == "tfrecord" and validation.format == "tfrecord" and train._texts and not train.texts_note:
        for label, names in sorted(validation._texts.items()):
            known = train._texts.get(label)
            if known and names != known:
                raise Problem(
                    None,
                    f"{validation_what} names label {label} {preview(sorted(names), 2)} but {train_what} names it {preview(sorted(known), 2)}",
                    hint="the two sets number their classes differently",
                )


def load_sources(train_dir, validation_dir, num_class, train_what="--train_data_dir", validation_what="--validation_data_dir"):
    """``(train, validation or None, class names)``: open both, align validation with train, check against ``num_class``."""
    train = open_images(train_dir, train_what)
    validation = open_images(validation_dir, validation_what) if validation_dir else None
    if validation is not None:
        check_validation(train, validation, num_class, train_what, validation_what)
    classes = check_labels(train, num_class, train_what)
    if validation is not None:
        if validation.integer_labels and validation.label_base != train.label_base:
            validation.set_label_base(train.label_base, train.label_base_sure)
        check_labels(validation, num_class, validation_what, detect_base=False)
    return train, validation, classes


def holdout_split(count, seed):
    """Deterministic (seeded) ``(train indices, validation indices)`` of ``count`` images, ``HOLDOUT_FRACTION`` held out."""
    n_val = max(1, round(count * HOLDOUT_FRACTION))
    if count - n_val < 1:
        raise Problem(None, f"need at least 2 training images to hold out validation, got {count}")
    order = torch.randperm(count, generator=torch.Generator().manual_seed(seed)).tolist()
    return sorted(order[n_val:]), sorted(order[:n_val])
