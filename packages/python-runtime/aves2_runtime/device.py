"""Choose where to train: the local CUDA GPU when there is one, else the CPU.

``AVES2_DEVICE=cpu`` forces the CPU even on a GPU machine.
"""

import os
from typing import Any, NamedTuple, Optional

from . import distributed


class DeviceInfo(NamedTuple):
    device: Any  # torch.device
    cuda: bool
    amp: bool  # mixed precision: CUDA only, plain fp32 on CPU
    amp_dtype: Optional[Any]  # torch.bfloat16 / torch.float16, None without amp
    description: str  # e.g. "cuda:0 (NVIDIA H100 80GB HBM3, amp bf16)"


def cpu_forced():
    return os.environ.get("AVES2_DEVICE", "").strip().lower() == "cpu"


def select_device():
    import torch

    if cpu_forced() or not torch.cuda.is_available():
        threads = torch.get_num_threads()
        description = f"cpu ({threads} thread{'s' if threads != 1 else ''})"
        return DeviceInfo(torch.device("cpu"), False, False, None, description)
    # Under DDP each process drives the GPU of its LOCAL_RANK; NCCL refuses two ranks on one GPU.
    index = distributed.local_rank() if distributed.world_size() > 1 else 0
    count = torch.cuda.device_count()
    if index >= count:
        raise SystemExit(
            f"aves2: local rank {index} needs GPU {index}, but this node has {count} GPU{'s' if count != 1 else ''}: "
            f"run at most {count} worker{'s' if count != 1 else ''} per node, or train on the CPU with AVES2_DEVICE=cpu"
        )
    device = torch.device("cuda", index)
    # bf16 needs no loss scaling; older GPUs fall back to fp16 + GradScaler.
    bf16 = torch.cuda.is_bf16_supported()
    dtype = torch.bfloat16 if bf16 else torch.float16
    name = torch.cuda.get_device_name(index)
    description = f"{device} ({name}, amp {'bf16' if bf16 else 'fp16'})"
    return DeviceInfo(device, True, True, dtype, description)
