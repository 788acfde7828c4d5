"""Train MobileNetV2 (the width multiplier chosen by --model_name) on image data.

AVES2 runs it as ``python3 model_train_new.py --train_data_dir DIR ... --result_dir DIR
--checkpoint_dir DIR`` (the seed catalog's entry name, so its job files run unchanged).
The data may be an ImageFolder, a ``path,label`` CSV or the upstream's TFRecord shards;
the run itself (DDP under torchrun, AMP on CUDA, outputs, resume) is
``aves2_runtime.vision.session``'s, shared with the image-classification component.
"""

import sys

from aves2_runtime.vision import models, params, session

# Tuned so the bundled digits sample trains in well under a minute on a 2-core CPU and
# still reaches >90% validation top-1: Adam with a per-step cosine decay, validating
# every epoch, no early stop (seven epochs are short enough).
DEFAULTS = dict(
    model_name="mobilenet_v2_10",
    num_class=10,
    batch_size=32,
    epochs=7,
    lr=0.003,
    optimizer="adam",
    weight_decay=0.0,
    lr_decay="cosine",
    eval_every_epochs=1,
    early_stop=0,
    image_size=32,
    seed=42,
)
ARGS = params.table(models.MOBILENET_V2, DEFAULTS, image_size={"minimum": 32})

if __name__ == "__main__":
    sys.exit(session.main("Train MobileNetV2 on image data.", ARGS))
