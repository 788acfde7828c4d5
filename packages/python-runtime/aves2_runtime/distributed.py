"""Multi-process (DDP) helpers driven by the standard torch launcher env.

Variables read: RANK, WORLD_SIZE, LOCAL_RANK (defaults 0, 1, 0), and
MASTER_ADDR / MASTER_PORT, which torch's ``env://`` rendezvous needs when
WORLD_SIZE > 1. With no env at all everything degrades to a single process,
and every helper here is a cheap no-op.
"""

import contextlib
import os


def _env_int(name, default):
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def rank():
    return _env_int("RANK", 0)


def world_size():
    return _env_int("WORLD_SIZE", 1)


def local_rank():
    return _env_int("LOCAL_RANK", 0)


def is_main():
    """True in the process that owns outputs and events (rank 0)."""
    return rank() == 0


def is_initialized():
    if world_size() <= 1:
        return False  # avoids importing torch in single-process runs
    import torch.distributed as dist

    return dist.is_available() and dist.is_initialized()


def init(cuda):
    """Join the process group when WORLD_SIZE > 1; returns whether we did.

    NCCL is used when the process trains on CUDA, gloo on CPU.
    """
    if world_size() <= 1 or is_initialized():
        return is_initialized()
    missing = [n for n in ("MASTER_ADDR", "MASTER_PORT") if not os.environ.get(n)]
    if missing:
        raise RuntimeError(
            f"WORLD_SIZE={world_size()} but {', '.join(missing)} not set"
        )
    import torch
    import torch.distributed as dist

    if cuda:
        torch.cuda.set_device(local_rank())
    dist.init_process_group(
        backend="nccl" if cuda else "gloo",
        init_method="env://",
        rank=rank(),
        world_size=world_size(),
    )
    return True


def barrier():
    if is_initialized():
        import torch.distributed as dist

        dist.barrier()


def all_reduce_sum(tensor):
    """Sum ``tensor`` in place across processes and return it.

    Used for metric accumulators (loss sums, correct counts, confusion
    matrices); with a single process it is returned unchanged.
    """
    if is_initialized():
        import torch.distributed as dist

        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def cleanup():
    if is_initialized():
        import torch.distributed as dist

        dist.destroy_process_group()


@contextlib.contextmanager
def ending():
    """``cleanup()`` however the block ends: a run refused on bad input or crashed leaves
    the process group as a finished one does. Entered outside ``refusing_bad_input`` so
    that the error line is printed before the group is torn down."""
    try:
        yield
    finally:
        cleanup()
