"""The image pipelines: resize for evaluation, random crop + flip for training.

torchvision is imported by ``image_transform`` only, so the two describing
helpers cost nothing to import.
"""

#: Augmentation is on by default from this image size up: below it, a random
#: crop of an already tiny image (the 8x8 digits sample at 32 px) costs more
#: accuracy than it buys.
AUGMENT_FROM = 64
#: RandomResizedCrop keeps between 35% and 100% of the image's area.
CROP_SCALE = (0.35, 1.0)
MEAN = (0.5, 0.5, 0.5)
STD = (0.5, 0.5, 0.5)


def image_transform(image_size, train=False, augment=False):
    """PIL image → normalized float tensor [3, s, s]; random resized crop + flip when ``train and augment``."""
    from torchvision import transforms

    normalize = [transforms.ToTensor(), transforms.Normalize(list(MEAN), list(STD))]
    if train and augment:
        return transforms.Compose(
            [transforms.RandomResizedCrop(image_size, scale=CROP_SCALE), transforms.RandomHorizontalFlip(), *normalize]
        )
    return transforms.Compose([transforms.Resize((image_size, image_size)), *normalize])


def default_augment(image_size):
    """Whether training augments when the user did not say: from ``AUGMENT_FROM`` (64) px up."""
    return image_size >= AUGMENT_FROM


def describe_augment(augment, image_size, chosen_by_user):
    """One log line saying what augmentation the run uses and why."""
    if augment:
        why = "asked for" if chosen_by_user else f"default from {AUGMENT_FROM} px up"
        return f"augment: random resized crop + horizontal flip ({why})"
    if chosen_by_user:
        return "augment: off (asked for)"
    return f"augment: off (images under {AUGMENT_FROM} px)"
