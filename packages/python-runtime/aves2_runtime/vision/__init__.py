"""Image classification helpers (torch/torchvision, imported by the modules that need them).

``tfrecord`` and ``tf_example`` read and write TFRecord files of tf.train.Example
records without TensorFlow; ``datasets`` opens an image folder (TFRecord shards,
a ``path,label`` CSV or ImageFolder) as one ``ImageSource``; ``transforms``
holds the resize/augment pipelines.
"""
