"""Train an image classifier: the upstream AVES2 cv/image_classification component's
entry (``python3 model_train.py``), its arguments and defaults, on torchvision.

    python3 model_train.py --train_data_dir DIR [--validation_data_dir DIR]
        [--pre_trained_model_ckpt_path DIR] --checkpoint_dir DIR --result_dir DIR
        [--summary_dir DIR] [--model_name vgg_16] [--num_class 37] [--batch_size 32]
        [--epochs 100] [--lr_decay exponential_decay] [--decay_rate 0.92]
        [--decay_epochs 3] [--eval_every_epochs 5] [--fine_tune 1] [--early_stop 1] ...

The upstream's TF-slim model names map to the nearest torchvision nets
(``aves2_runtime.vision.models``); the data may be its TFRecord shards, a
``path,label`` CSV or an ImageFolder. The run (DDP under torchrun, AMP and GPU JPEG
decoding on CUDA, outputs, resume) is ``aves2_runtime.vision.session``'s, shared with
the mobilenet-v2 component.
"""

import sys

from aves2_runtime.vision import models, params, session

# the upstream's defaults (params.DEFAULTS) and every model it or torchvision offers
ARGS = params.table(models.NETS, {})

if __name__ == "__main__":
    sys.exit(session.main("Train an image classifier (upstream cv/image_classification).", ARGS))
