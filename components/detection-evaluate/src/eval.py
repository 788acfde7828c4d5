"""Evaluate an object detector: the upstream AVES2 cv/object_detection/val_objd entry
(``eval.py`` behind its cmd.sh), its arguments, on torchvision.

    python3 eval.py --tfrecords_dir DIR --model_dir DIR --output_path DIR
        [--split val] [--min_score_thresh 0.5] [--batch_size 8]

--model_dir is object-detection's output_path (model.pt); the data is the same Pascal
VOC folder, COCO JSON or TFRecords it trained on. result.json: map (mAP@0.5),
map_50_95, precision, recall, ap_per_class (``aves2_runtime.detection.metrics``).
"""

import sys

from aves2_runtime.detection import evaluate

if __name__ == "__main__":
    sys.exit(evaluate.main("Evaluate an object detector (upstream cv/object_detection/val_objd)."))
