"""The command line of the image-classification entries: the upstream's argument names
(cv/image_classification's model_train.py) and this package's own, one table for every
component built on it. A component changes defaults (and the model list), never names,
and its manifest declares the same params (``--aves2-describe-args``, compared by the
component's tests).

How the upstream's 0/1 flags are read:
- ``fine_tune`` 1: start from ``pre_trained_model_ckpt_path`` when one is given; 0:
  ignore it and train from random weights (what the upstream did: all layers train
  either way). ``freeze_backbone`` 1 trains the classifier head only.
- ``early_stop`` 1: stop once validation top-1 has not improved for ``patience``
  evaluations (3, the upstream's count); 0: train every epoch.
"""

from ..problems import Problem
from ..tabular.args import Arg, parse_args
from . import models, training

# folders: (name, required)
FOLDERS = (
    ("train_data_dir", True),
    ("validation_data_dir", False),
    ("pre_trained_model_ckpt_path", False),
    ("result_dir", True),
    ("checkpoint_dir", True),
    ("summary_dir", False),
)


class ModelArg(Arg):
    """--model_name: one of ``names``; an upstream name torchvision lacks says why."""

    def __init__(self, names, default):
        super().__init__("model_name", "choice", default, "The network (upstream TF-slim name or torchvision's).", choices=names)

    def parse(self, text):
        name = text.strip()
        try:
            models.net(name, self.choices)
        except Problem as p:  # a ValueError itself: re-raised as the plain text parse_args words
            raise ValueError(f"{p.message} ({p.hint})") from None
        return name


def table(model_names, defaults, **limits):
    """The Args of a component: ``defaults`` and ``limits`` ({name: {minimum, maximum}}) override."""
    d = {**DEFAULTS, **defaults}
    args = [
        ModelArg(list(model_names), d["model_name"]),
        Arg("num_class", "int", d["num_class"], "Number of classes.", minimum=2, maximum=100000),
        Arg("batch_size", "int", d["batch_size"], "Images per training step, per worker.", minimum=1, maximum=4096),
        Arg("epochs", "int", d["epochs"], "Passes over the training data.", minimum=1, maximum=1000),
        Arg("lr", "float", d["lr"], "Initial learning rate.", minimum=1e-7, maximum=10),
        Arg("optimizer", "choice", d["optimizer"], "adam, sgd (momentum 0.9), adamw or rmsprop.", choices=training.OPTIMIZERS),
        Arg("weight_decay", "float", d["weight_decay"], "L2 weight decay (weights only, not biases or norms).", minimum=0, maximum=1),
        Arg("label_smoothing", "float", d["label_smoothing"], "Label smoothing of the cross-entropy.", minimum=0, maximum=0.99),
        Arg("lr_decay", "choice", d["lr_decay"], "Learning-rate schedule.", choices=training.SCHEDULES, renames=training.SCHEDULE_RENAMES),
        Arg("decay_rate", "float", d["decay_rate"], "exponential: the factor per decay_epochs.", minimum=1e-6, maximum=1),
        Arg("decay_epochs", "float", d["decay_epochs"], "exponential: epochs between two decays.", minimum=0.01, maximum=10000),
        Arg("eval_every_epochs", "int", d["eval_every_epochs"], "Validate every N epochs (and after the last).", minimum=1, maximum=10000),
        Arg("early_stop", "int", d["early_stop"], "1: stop when validation top-1 stops improving.", minimum=0, maximum=1),
        Arg("patience", "int", d["patience"], "early_stop: evaluations without a better top-1 before stopping.", minimum=1, maximum=10000),
        Arg("fine_tune", "int", d["fine_tune"], "1: start from pre_trained_model_ckpt_path; 0: ignore it.", minimum=0, maximum=1),
        Arg("freeze_backbone", "int", d["freeze_backbone"], "1: train the classifier head only.", minimum=0, maximum=1),
        Arg("augment", "choice", d["augment"], "Random resized crop + flip: auto (from 64 px up), on, off.", choices=["auto", "on", "off"]),
        Arg("image_size", "int", d["image_size"], "Images are resized to this square size.", minimum=16, maximum=1024),
        Arg("seed", "int", d["seed"], "Random seed.", minimum=0),
        Arg("resume", "choice", d["resume"], "auto: go on from checkpoint_dir/last.pt of the same model; 1: must; 0: never.", choices=["auto", "1", "0"]),
        Arg("gpu_decode", "int", d["gpu_decode"], "1: decode JPEGs on the GPU when training on CUDA.", minimum=0, maximum=1),
        Arg("compile", "int", d["compile"], "1: torch.compile the net (CUDA, torch 2+).", minimum=0, maximum=1),
        Arg("display_every_steps", "int", d["display_every_steps"], "Log the training loss every N steps (0: never).", minimum=0),
    ]
    for a in args:
        for k, v in limits.get(a.name, {}).items():
            setattr(a, k, v)
    return args


# the upstream model_train.py's defaults, and this package's where it had no such flag
DEFAULTS = dict(
    model_name="vgg_16",
    num_class=37,
    batch_size=32,
    epochs=100,
    lr=0.01,
    optimizer="sgd",
    weight_decay=0.0001,
    label_smoothing=0.0,
    lr_decay="exponential",
    decay_rate=0.92,
    decay_epochs=3.0,
    eval_every_epochs=5,
    early_stop=1,
    patience=3,
    fine_tune=1,
    freeze_backbone=0,
    augment="auto",
    image_size=224,
    seed=42,
    resume="auto",
    gpu_decode=1,
    compile=0,
    display_every_steps=50,
)


def parse(description, args, argv=None):
    """The namespace; bad values are one ``error:`` line and exit code 2."""
    return parse_args(description, args, FOLDERS, argv, empty_folders_unset=True)
