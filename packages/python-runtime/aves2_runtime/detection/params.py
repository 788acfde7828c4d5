"""The command lines of the detection entries: the upstream's names (cv/object_detection's
ssd_mobilenetv2 / retinanet_mobilenetv2 / fasterrcnn_resnet50 cmd.sh, val_objd,
test_objd) and this package's own. Each component's manifest declares the same params
(``--aves2-describe-args``, compared by its tests).

The upstream's schedule came from its cal_params.py: exponential decay by 0.9 every
epoch (decay_steps = training images // batch_size), which is ``lr_decay exponential,
decay_rate 0.9, decay_epochs 1`` here; num_classes came from the label map, as here.
"""

from ..problems import Problem
from ..tabular.args import Arg
from ..vision import training
from . import models

TRAIN_FOLDERS = (("tfrecords_dir", True), ("pretrainmodel_dir", False), ("output_path", True))
EVAL_FOLDERS = (("tfrecords_dir", True), ("model_dir", True), ("output_path", True))
PREDICT_FOLDERS = (("data_dir", True), ("model_dir", True), ("output_path", True))


class ModelArg(Arg):
    def __init__(self, default):
        super().__init__("model_name", "choice", default, "The detector (torchvision).", choices=list(models.NETS))

    def parse(self, text):
        name = text.strip()
        try:
            models.net(name)
        except Problem as p:
            raise ValueError(f"{p.message} ({p.hint})") from None
        return name


TRAIN_DEFAULTS = dict(
    model_name="ssdlite320_mobilenet_v3_large",
    learning_rate=0.001,
    epochs=30,
    batch_size=24,
    alpha_fr=0.75,
    gamma_fr=2.0,
    optimizer="adam",
    weight_decay=0.00004,
    lr_decay="exponential",
    decay_rate=0.9,
    decay_epochs=1.0,
    eval_every_epochs=1,
    early_stop=0,
    patience=3,
    image_size=0,
    augment=1,
    min_score_thresh=0.5,
    seed=42,
    resume="auto",
    display_every_steps=50,
)


def train_table(defaults=None):
    d = {**TRAIN_DEFAULTS, **(defaults or {})}
    return [
        ModelArg(d["model_name"]),
        Arg("learning_rate", "float", d["learning_rate"], "Initial learning rate.", minimum=1e-7, maximum=10),
        Arg("epochs", "int", d["epochs"], "Passes over the training images.", minimum=1, maximum=10000),
        Arg("batch_size", "int", d["batch_size"], "Images per training step, per worker.", minimum=2, maximum=1024),
        Arg("alpha_fr", "float", d["alpha_fr"], "Focal loss alpha (retinanet_resnet50_fpn).", minimum=0, maximum=1),
        Arg("gamma_fr", "float", d["gamma_fr"], "Focal loss gamma (retinanet_resnet50_fpn).", minimum=0, maximum=10),
        Arg("optimizer", "choice", d["optimizer"], "adam, sgd (momentum 0.9), adamw or rmsprop.", choices=training.OPTIMIZERS),
        Arg("weight_decay", "float", d["weight_decay"], "L2 weight decay (weights only).", minimum=0, maximum=1),
        Arg("lr_decay", "choice", d["lr_decay"], "Learning-rate schedule.", choices=training.SCHEDULES, renames=training.SCHEDULE_RENAMES),
        Arg("decay_rate", "float", d["decay_rate"], "exponential: the factor per decay_epochs.", minimum=1e-6, maximum=1),
        Arg("decay_epochs", "float", d["decay_epochs"], "exponential: epochs between two decays.", minimum=0.01, maximum=10000),
        Arg("eval_every_epochs", "int", d["eval_every_epochs"], "Validate every N epochs (and after the last).", minimum=1, maximum=10000),
        Arg("early_stop", "int", d["early_stop"], "1: stop when validation mAP@0.5 stops improving.", minimum=0, maximum=1),
        Arg("patience", "int", d["patience"], "early_stop: evaluations without a better mAP before stopping.", minimum=1, maximum=10000),
        Arg("image_size", "int", d["image_size"], "The size the net resizes images to; 0: the net's own.", minimum=0, maximum=2048),
        Arg("augment", "int", d["augment"], "1: random horizontal flips in training.", minimum=0, maximum=1),
        Arg("min_score_thresh", "float", d["min_score_thresh"], "Score from which a box counts for precision and recall.", minimum=0, maximum=1),
        Arg("seed", "int", d["seed"], "Random seed.", minimum=0),
        Arg("resume", "choice", d["resume"], "auto: go on from output_path/last.pt of the same model; 1: must; 0: never.", choices=["auto", "1", "0"]),
        Arg("display_every_steps", "int", d["display_every_steps"], "Log the training loss every N steps (0: never).", minimum=0),
    ]


def eval_table():
    return [
        Arg("min_score_thresh", "float", 0.5, "Score from which a box counts for precision and recall.", minimum=0, maximum=1),
        Arg("split", "str", "val", "The split to evaluate (ImageSets/Main/<split>.txt, instances_<split>.json, <split>.tfrecords)."),
        Arg("batch_size", "int", 8, "Images per forward pass.", minimum=1, maximum=1024),
    ]


def predict_table():
    return [
        Arg("min_score_thresh", "float", 0.5, "Boxes scoring below this are dropped.", minimum=0, maximum=1),
        Arg("split", "str", "val", "For a dataset: the split to predict; a folder of images is predicted whole."),
        Arg("batch_size", "int", 8, "Images per forward pass.", minimum=1, maximum=1024),
    ]

