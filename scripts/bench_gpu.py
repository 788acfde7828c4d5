"""`pnpm bench gpu`: image-classification training throughput on a GPU.

Three rates on the same data (an ImageFolder of 256-px JPEGs, 224-px crops,
batch 128, MobileNetV2 width 1.0, bf16 autocast, channels_last), in one run:

  component       the mobilenet-v2 component's own entry, as a backend calls it
                  (its AVES2_EVENT metrics give img/s per epoch; first epoch apart)
  plain PyTorch   a plain loop: torchvision ImageFolder, PIL decode in DataLoader
                  workers (8 and 16), the same model and step
  GPU only        the same step on tensors already on the GPU: the bound

Then object detection, beside it: the object-detection component's training rate
(ssdlite320_mobilenet_v3_large and fasterrcnn_mobilenet_v3_large_fpn, 320 px
synthetic VOC shapes from scripts/make-voc-sample.py, batch 32, bf16) against the
same detector's step on images and targets already on the GPU.

A benchmark, not a test. Runs where Node is absent (the GPU machine has
none): `python3 scripts/bench_gpu.py`. Without a CUDA GPU it says so and exits 0.
BENCH_GPU_IMAGES (default 6400), BENCH_GPU_EPOCHS (default 3) shrink it;
BENCH_GPU_DET_IMAGES (default 1024) the detection set; BENCH_GPU_SUITES
(default "classification,detection") picks what runs.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNTIME = os.path.join(ROOT, "packages", "python-runtime")
ENTRY = os.path.join(ROOT, "components", "mobilenet-v2", "src", "model_train_new.py")
IMAGES = int(os.environ.get("BENCH_GPU_IMAGES", "6400"))
EPOCHS = int(os.environ.get("BENCH_GPU_EPOCHS", "3"))
CLASSES = 10
BATCH = 128
SIZE = 224
SUITES = os.environ.get("BENCH_GPU_SUITES", "classification,detection").split(",")
DET_ENTRY = os.path.join(ROOT, "components", "object-detection", "src", "model_main.py")
DET_MAKE = os.path.join(ROOT, "scripts", "make-voc-sample.py")
DET_IMAGES = int(os.environ.get("BENCH_GPU_DET_IMAGES", "1024"))
DET_MODELS = ("ssdlite320_mobilenet_v3_large", "fasterrcnn_mobilenet_v3_large_fpn")
DET_BATCH = 32
DET_SIZE = 320


def write_images(args):
    folder, start, count, seed = args
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed + start)
    for i in range(start, start + count):
        cls = i % CLASSES
        pixels = rng.integers(0, 255, (256, 256, 3), dtype=np.uint8)
        pixels[:, :, cls % 3] //= 2  # a class-dependent tint: something to learn
        path = os.path.join(folder, f"c{cls}", f"{i}.jpg")
        Image.fromarray(pixels).save(path, quality=90)


def make_dataset(base, count, seed):
    for c in range(CLASSES):
        os.makedirs(os.path.join(base, f"c{c}"), exist_ok=True)
    chunk = max(1, count // (os.cpu_count() or 1))
    jobs = [(base, s, min(chunk, count - s), seed) for s in range(0, count, chunk)]
    with ProcessPoolExecutor() as pool:
        list(pool.map(write_images, jobs))


def component_rates(train, validation, work):
    """img/s per epoch from the component's own metric events."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [RUNTIME, os.environ.get("PYTHONPATH")]))}
    argv = [
        sys.executable, ENTRY,
        "--train_data_dir", train, "--validation_data_dir", validation,
        "--result_dir", os.path.join(work, "result"), "--checkpoint_dir", os.path.join(work, "ckpt"),
        "--model_name", "mobilenet_v2_10", "--num_class", str(CLASSES),
        "--batch_size", str(BATCH), "--epochs", str(EPOCHS), "--image_size", str(SIZE),
    ]
    out = subprocess.run(argv, env=env, cwd=os.path.dirname(ENTRY), capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"bench gpu: the component failed ({out.returncode}):\n{out.stderr[-2000:]}")
    rates = []
    for line in out.stdout.splitlines():
        if line.startswith("AVES2_EVENT "):
            event = json.loads(line[len("AVES2_EVENT "):])
            if event.get("type") == "metric" and "images_per_second" in event:
                rates.append(float(event["images_per_second"]))
    info = [l for l in out.stdout.splitlines() if l.startswith(("device:", "input:", "data:"))]
    return rates, info


def model_and_step(torch):
    import torch.nn.functional as F
    from torchvision.models import mobilenet_v2

    torch.backends.cudnn.benchmark = True
    model = mobilenet_v2(weights=None, num_classes=CLASSES).cuda().to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step(images, labels):
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = F.cross_entropy(model(images), labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def plain_rate(train, workers):
    """A plain PyTorch loop over the ImageFolder: what users would write."""
    import torch
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    step = model_and_step(torch)
    tf = transforms.Compose([transforms.RandomResizedCrop(SIZE), transforms.RandomHorizontalFlip(), transforms.ToTensor(), transforms.Normalize([0.5] * 3, [0.5] * 3)])
    loader = DataLoader(datasets.ImageFolder(train, tf), BATCH, shuffle=True, num_workers=workers, pin_memory=True, drop_last=True, persistent_workers=True, prefetch_factor=4)
    rates = []
    for _ in range(2):  # the first pass warms workers and cudnn; the second is measured
        torch.cuda.synchronize()
        started, seen = time.perf_counter(), 0
        for images, labels in loader:
            step(images.cuda(non_blocking=True).to(memory_format=torch.channels_last), labels.cuda(non_blocking=True))
            seen += labels.numel()
        torch.cuda.synchronize()
        rates.append(seen / (time.perf_counter() - started))
    return rates[-1]


def gpu_only_rate(steps=200):
    import torch

    step = model_and_step(torch)
    images = torch.randn(BATCH, 3, SIZE, SIZE, device="cuda").to(memory_format=torch.channels_last)
    labels = torch.randint(0, CLASSES, (BATCH,), device="cuda")
    for _ in range(20):
        step(images, labels)
    torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(steps):
        step(images, labels)
    torch.cuda.synchronize()
    return steps * BATCH / (time.perf_counter() - started)


def detection_component_rates(voc, model_name, work):
    """img/s per epoch of object-detection's entry (validation only after the last epoch)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [RUNTIME, os.environ.get("PYTHONPATH")]))}
    argv = [
        sys.executable, DET_ENTRY, "--tfrecords_dir", voc, "--output_path", os.path.join(work, f"det-{model_name}"),
        "--model_name", model_name, "--image_size", str(DET_SIZE), "--batch_size", str(DET_BATCH),
        "--epochs", str(EPOCHS), "--eval_every_epochs", str(EPOCHS), "--display_every_steps", "0", "--resume", "0",
    ]
    out = subprocess.run(argv, env=env, cwd=os.path.dirname(DET_ENTRY), capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"bench gpu: object-detection failed ({out.returncode}):\n{out.stdout[-1000:]}{out.stderr[-2000:]}")
    rates = [json.loads(l[len("AVES2_EVENT "):])["images_per_second"] for l in out.stdout.splitlines()
             if l.startswith('AVES2_EVENT {"type":"metric"')]
    info = [l for l in out.stdout.splitlines() if l.startswith(("device:", "input:"))]
    return rates, info


def detection_gpu_only_rate(model_name, steps=30):
    """The detector's training step (bf16 autocast, adam) on images and targets already on the GPU."""
    import torch

    sys.path.insert(0, RUNTIME)
    from aves2_runtime.detection import models

    model = models.build(model_name, 3, DET_SIZE).cuda().train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    images = [torch.rand(3, DET_SIZE, DET_SIZE, device="cuda") for _ in range(DET_BATCH)]
    box = torch.tensor([[40.0, 40.0, 140.0, 140.0], [180.0, 160.0, 300.0, 290.0]], device="cuda")
    targets = [{"boxes": box, "labels": torch.tensor([1, 2], device="cuda")} for _ in range(DET_BATCH)]

    def step():
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = sum(model(images, targets).values())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(5):
        step()
    torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(steps):
        step()
    torch.cuda.synchronize()
    return steps * DET_BATCH / (time.perf_counter() - started)


def detection_bench(work):
    """Rows for the detection table: the component (epochs 2+ and first) and GPU-only, per model."""
    voc = os.path.join(work, "voc")
    made = subprocess.run([sys.executable, DET_MAKE, "--out", voc, "--train", str(DET_IMAGES), "--val", str(max(32, DET_IMAGES // 16)), "--size", str(DET_SIZE)], capture_output=True, text=True)
    if made.returncode != 0:
        raise SystemExit(f"bench gpu: make-voc-sample.py failed:\n{made.stderr[-2000:]}")
    rows, infos = [["detector", "what", "img/s", "of GPU-only"]], []
    for name in DET_MODELS:
        bound = detection_gpu_only_rate(name)
        rates, info = detection_component_rates(voc, name, work)
        infos += info
        steady = statistics.median(rates[1:] or rates)
        rows.append([name, "component, epochs 2+", f"{steady:,.0f}", f"{steady / bound:.0%}"])
        rows.append([name, "component, first epoch", f"{rates[0]:,.0f}", f"{rates[0] / bound:.0%}"])
        rows.append([name, "GPU only (tensors on the GPU)", f"{bound:,.0f}", "100%"])
    return rows, infos


def table(rows):
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    lines = [f"| {' | '.join(str(c).ljust(w) for c, w in zip(r, widths))} |" for r in rows]
    lines.insert(1, f"|{'|'.join('-' * (w + 2) for w in widths)}|")
    return "\n".join(lines)


def main():
    import torch

    if not torch.cuda.is_available():
        print(f"bench gpu: no CUDA GPU on this machine (torch {torch.__version__}); nothing to measure. Run it on a GPU machine: python3 scripts/bench_gpu.py")
        return 0
    name = torch.cuda.get_device_name(0)
    if "classification" in SUITES:
        classification(name, torch)
    if "detection" in SUITES:
        print(f"bench gpu: object detection, {name}, {DET_IMAGES} synthetic VOC JPEGs {DET_SIZE} px, batch {DET_BATCH}, bf16")
        with tempfile.TemporaryDirectory(prefix="aves2-bench-gpu-det-") as work:
            rows, infos = detection_bench(work)
        for line in sorted(set(infos)):
            print(f"  component {line}")
        print(table(rows))
    return 0


def classification(name, torch):
    print(f"bench gpu: {name}, {os.cpu_count()} cores, torch {torch.__version__}, {IMAGES} JPEGs 256 px, {SIZE} px, batch {BATCH}, bf16, mobilenet_v2 1.0")
    with tempfile.TemporaryDirectory(prefix="aves2-bench-gpu-") as work:
        train, validation = os.path.join(work, "train"), os.path.join(work, "validation")
        make_dataset(train, IMAGES, 0)
        make_dataset(validation, max(CLASSES * 20, IMAGES // 10), 1)
        bound = gpu_only_rate()
        rates, info = component_rates(train, validation, work)
        plain = {w: plain_rate(train, w) for w in (8, 16)}
    for line in info:
        print(f"  component {line}")
    first, steady = rates[0], statistics.median(rates[1:] or rates)
    rows = [["what", "img/s", "of GPU-only"]]
    rows.append(["component, epochs 2+", f"{steady:,.0f}", f"{steady / bound:.0%}"])
    rows.append(["component, first epoch", f"{first:,.0f}", f"{first / bound:.0%}"])
    for w, r in plain.items():
        rows.append([f"plain PyTorch loop, {w} workers", f"{r:,.0f}", f"{r / bound:.0%}"])
    rows.append(["GPU only (tensors on the GPU)", f"{bound:,.0f}", "100%"])
    print(table(rows))
    print(f"component ≥ 80% of GPU-only: {'✓' if steady >= 0.8 * bound else '✗'}; first epoch within 1.5× of the others: {'✓' if steady <= 1.5 * first else '✗'}")


if __name__ == "__main__":
    sys.exit(main())
