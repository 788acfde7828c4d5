"""Image classification data in any of three layouts, as one ``ImageSource``.

``open_images(root, what)`` looks at the folder and picks the layout:

- TFRecord shards (the upstream AVES2 layout): files named ``*-NNNNN-of-NNNNN``
  (any prefix, e.g. ``train-00000-of-00004``) or ``*.tfrecord``/``*.tfrecords``,
  holding tf.train.Example records with ``image/encoded`` (JPEG/PNG bytes),
  ``image/class/label`` (int64, 0- or 1-based), optionally ``image/filename``,
  ``image/class/text`` and ``image/format``. A folder holding several sets
  (``train-*`` and ``validation-*``) gives the one ``what`` names. An optional
  ``num_examples.json`` (``{"train": N}`` or ``{"num_examples": N}``) is only
  compared with the count found, in ``describe()``.
- A CSV: exactly one ``*.csv`` whose header is ``path,label``; paths are
  relative to the CSV's folder, labels are class names or integers.
- ImageFolder: one sub-folder per class (the names, sorted, are the classes),
  images found as torchvision's ImageFolder finds them.

A path to a single TFRecord file or a ``path,label`` CSV works too.

Opening indexes the data: TFRecord files are read once, checking every
record's framing and reading its label (not the image data CRCs, which are
checked when a record is read: see ``tfrecord``). Problems the user can fix
are ``Problem`` s naming the file (and record offset or CSV line).

Typical use (what components do)::

    train, validation, classes = load_sources(args.train_data_dir, args.validation_data_dir, args.num_class)
    log(train.describe())
    dataset = ImageDataset(train, image_transform(size, train=True, augment=augment))

The package is split by job: ``images`` (extensions, decoding, ``ImageProblem``),
``image_source`` (the ``ImageSource`` base, label-base detection),
``tfrecord_source`` and ``file_sources`` (the layouts), ``detection``
(``open_images``), ``labels`` (checks against ``--num_class``, the held-out
split) and ``torch_datasets``. Everything is importable from here, as before.
"""

from .detection import open_images
from .file_sources import CsvSource, ImageFolderSource
from .image_source import ImageSource, detect_label_base
from .images import IMAGE_EXTENSIONS, ImageProblem, decode_image, preview
from .labels import HOLDOUT_FRACTION, check_labels, check_validation, holdout_split, load_sources
from .tfrecord_source import ENCODED, FILENAME, LABEL, TEXT, TFRecordSource
from .torch_datasets import ImageDataset, RawImageDataset

__all__ = [
    "ENCODED",
    "FILENAME",
    "HOLDOUT_FRACTION",
    "IMAGE_EXTENSIONS",
    "LABEL",
    "TEXT",
    "CsvSource",
    "ImageDataset",
    "ImageFolderSource",
    "ImageProblem",
    "ImageSource",
    "RawImageDataset",
    "TFRecordSource",
    "check_labels",
    "check_validation",
    "decode_image",
    "detect_label_base",
    "holdout_split",
    "load_sources",
    "open_images",
    "preview",
]
