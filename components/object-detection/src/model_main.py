"""Train an object detector: the upstream AVES2 cv/object_detection training components
(ssd_mobilenetv2, retinanet_mobilenetv2, fasterrcnn_resnet50: ``model_main.py`` behind
their cmd.sh), their arguments, on torchvision.

    python3 model_main.py --tfrecords_dir DIR [--pretrainmodel_dir DIR] --output_path DIR
        [--model_name ssdlite320_mobilenet_v3_large] [--learning_rate 0.001] [--epochs 30]
        [--batch_size 24] [--alpha_fr 0.75] [--gamma_fr 2.0] ...

The data is a Pascal VOC folder, a COCO JSON or the upstream's TFRecords
(``aves2_runtime.detection.data``); num_classes comes from it, as the upstream's
cal_params.py did. The run (device, AMP, DDP under torchrun, checkpoints, resume, events)
is ``aves2_runtime.detection.session``'s, on the shared vision loop.
"""

import sys

from aves2_runtime.detection import params, session

ARGS = params.train_table()

if __name__ == "__main__":
    sys.exit(session.main("Train an object detector (upstream cv/object_detection).", ARGS))
