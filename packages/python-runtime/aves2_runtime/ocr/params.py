"""The command lines of the OCR entries: the upstream's argument names (CRNN_Tensorflow's
tools/train_shadownet.py, evaluate_shadownet.py, test_shadownet.py), and as params the
values it fixed in config/global_config.py (batch size, learning-rate decay, LSTM size,
early stopping), under their own names. Each component's manifest declares the same
params (``--aves2-describe-args``, compared by the component's tests).
"""

from types import SimpleNamespace

from ..problems import Problem
from ..tabular.args import Arg
from ..vision import training

# folders: (name, required). The upstream's char_dict_path / ord_map_dict_path name folders
# holding char_dict.json / ord_map.json.
TRAIN_FOLDERS = (
    ("dataset_dir", True),
    ("weights_path", False),
    ("char_dict_path", False),
    ("ord_map_dict_path", False),
    ("model_save_dir", True),
    ("tboard_save_dir", False),
)
EVALUATE_FOLDERS = (
    ("dataset_dir", True),
    ("model_save_dir", True),
    ("char_dict_path", False),
    ("ord_map_dict_path", False),
    ("result_dir", False),
)
PREDICT_FOLDERS = (
    ("image_path", True),
    ("model_save_dir", True),
    ("char_dict_path", False),
    ("ord_map_dict_path", False),
    ("result_dir", False),
)

# the upstream's global_config.py values where it had them (TRAIN.BATCH_SIZE 32,
# LR_DECAY_STEPS 1000, LR_DECAY_RATE 0.95, ARCH.HIDDEN_UNITS 256, HIDDEN_LAYERS 2,
# INPUT_SIZE height 32, EARLY_STOPPING False, PATIENCE_EPOCHS 6, DISPLAY_STEP 10)
TRAIN_DEFAULTS = dict(
    epochs=50,
    batch_size=32,
    lr=0.001,
    optimizer="adam",
    weight_decay=0.0,
    lr_decay="exponential",
    decay_rate=0.95,
    decay_steps=1000,
    cnn_width=64,
    hidden_units=256,
    hidden_layers=2,
    image_height=32,
    max_width=512,
    augment=1,
    eval_every_epochs=1,
    early_stop=0,
    patience=6,
    seed=42,
    resume="auto",
    display_every_steps=10,
    decode_outputs=False,
)


def train_table(defaults=None):
    d = {**TRAIN_DEFAULTS, **(defaults or {})}
    return [
        Arg("epochs", "int", d["epochs"], "Passes over the training lines.", minimum=1, maximum=10000),
        Arg("batch_size", "int", d["batch_size"], "Lines per training step, per worker.", minimum=1, maximum=4096),
        Arg("lr", "float", d["lr"], "Initial learning rate.", minimum=1e-7, maximum=10),
        Arg("optimizer", "choice", d["optimizer"], "adam, sgd (momentum 0.9; the upstream's momentum), adamw or rmsprop.",
            choices=training.OPTIMIZERS, renames={"momentum": "sgd"}),
        Arg("weight_decay", "float", d["weight_decay"], "L2 weight decay (weights only, not biases or norms).", minimum=0, maximum=1),
        Arg("lr_decay", "choice", d["lr_decay"], "Learning-rate schedule.", choices=training.SCHEDULES, renames=training.SCHEDULE_RENAMES),
        Arg("decay_rate", "float", d["decay_rate"], "exponential: the factor per decay_steps.", minimum=1e-6, maximum=1),
        Arg("decay_steps", "int", d["decay_steps"], "exponential: training steps between two decays.", minimum=1, maximum=10_000_000),
        Arg("cnn_width", "int", d["cnn_width"], "Channels of the first convolution (the others scale with it; 64: the upstream's net).", minimum=8, maximum=256),
        Arg("hidden_units", "int", d["hidden_units"], "Units of each LSTM direction.", minimum=8, maximum=2048),
        Arg("hidden_layers", "int", d["hidden_layers"], "Stacked BiLSTM layers.", minimum=1, maximum=8),
        Arg("image_height", "int", d["image_height"], "Lines are resized to this height (a multiple of 16), keeping their aspect ratio.", minimum=16, maximum=256),
        Arg("max_width", "int", d["max_width"], "Wider lines are squeezed to this width.", minimum=32, maximum=8192),
        Arg("augment", "int", d["augment"], "1: stretch, shift, contrast and noise jitter of the training lines.", minimum=0, maximum=1),
        Arg("eval_every_epochs", "int", d["eval_every_epochs"], "Validate every N epochs (and after the last).", minimum=1, maximum=10000),
        Arg("early_stop", "int", d["early_stop"], "1: stop when validation sequence accuracy stops improving.", minimum=0, maximum=1),
        Arg("patience", "int", d["patience"], "early_stop: evaluations without a better sequence accuracy before stopping.", minimum=1, maximum=10000),
        Arg("seed", "int", d["seed"], "Random seed.", minimum=0),
        Arg("resume", "choice", d["resume"], "auto: go on from model_save_dir/last.pt of the same net and characters; 1: must; 0: never.", choices=["auto", "1", "0"]),
        Arg("display_every_steps", "int", d["display_every_steps"], "Log the training loss every N steps (0: never).", minimum=0),
        Arg("decode_outputs", "bool", d["decode_outputs"], "Also decode the training batches and report their sequence accuracy (slower)."),
    ]


def evaluate_table():
    return [
        Arg("batch_size", "int", 32, "Lines per step.", minimum=1, maximum=4096),
        Arg("visualize", "bool", False, "The upstream displayed the images; here the wrong lines are listed in errors.txt either way."),
    ]


def predict_table():
    return [Arg("batch_size", "int", 32, "Lines per step.", minimum=1, maximum=4096)]


def check_train(args):
    if args.image_height % 16:
        raise Problem("--image_height", f"{args.image_height} is not a multiple of 16 (the net halves it four times)", hint=f"--image_height {max(16, args.image_height // 16 * 16)}")
    if args.cnn_width % 8:
        raise Problem("--cnn_width", f"{args.cnn_width} is not a multiple of 8", hint=f"--cnn_width {max(8, args.cnn_width // 8 * 8)}")


def trainer_args(args, steps_per_epoch):
    """What ``vision.training.Trainer`` and ``vision.loop`` read, from this entry's args:
    the decay is per ``decay_steps`` steps (the upstream's), the checkpoint folder is
    model_save_dir."""
    return SimpleNamespace(**{
        **vars(args),
        "decay_epochs": args.decay_steps / max(steps_per_epoch, 1),
        "checkpoint_dir": args.model_save_dir,
        "compile": 0,
    })
