"""Object detection on torchvision (the object-detection, detection-evaluate and
detection-predict components), built on the image-classification runtime's device,
AMP, DDP, optimizer, checkpoint/resume and event code (``aves2_runtime.vision``).

- ``data``: a split of a Pascal VOC folder, a COCO JSON or the upstream's TFRecords,
  checked as it is opened (bad boxes, missing images, unknown classes: one Problem each)
- ``models``: ``--model_name`` → a torchvision detector, random weights, no downloads
- ``metrics``: mAP@0.5 (VOC), COCO mAP@[0.5:0.95], precision/recall at a score (numpy)
- ``inputs``: decoding, flips, DataLoaders; ``task``: the step and the loop's task
- ``draw``: boxes on images; ``params``: the entries' arguments
- ``session`` (train), ``evaluate`` and ``predict``: the three entries' runs
"""
