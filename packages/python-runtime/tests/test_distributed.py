# Run from the repository root:
#   /usr/bin/python3 -m unittest discover -s packages/python-runtime/tests -t packages/python-runtime
import os
import subprocess
import sys
import unittest
from unittest import mock

from aves2_runtime import device, distributed

TORCH_ENV = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")
PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def env_without_torch_vars():
    return {k: v for k, v in os.environ.items() if k not in TORCH_ENV}


def torch_available():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


@mock.patch.dict(os.environ, env_without_torch_vars(), clear=True)
class DefaultsWithoutEnvTest(unittest.TestCase):
    def test_single_process_defaults(self):
        self.assertEqual(distributed.rank(), 0)
        self.assertEqual(distributed.world_size(), 1)
        self.assertEqual(distributed.local_rank(), 0)
        self.assertTrue(distributed.is_main())
        self.assertFalse(distributed.is_initialized())

    def test_helpers_are_noops(self):
        self.assertFalse(distributed.init(cuda=False))
        distributed.barrier()
        distributed.cleanup()
        values = [1.0, 2.0]
        self.assertIs(distributed.all_reduce_sum(values), values)

    def test_env_is_read(self):
        with mock.patch.dict(os.environ, {"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1"}):
            self.assertEqual((distributed.rank(), distributed.world_size()), (3, 4))
            self.assertEqual(distributed.local_rank(), 1)
            self.assertFalse(distributed.is_main())

    def test_missing_master_address_is_a_clear_error(self):
        with mock.patch.dict(os.environ, {"RANK": "0", "WORLD_SIZE": "2"}):
            with self.assertRaisesRegex(RuntimeError, "MASTER_ADDR"):
                distributed.init(cuda=False)


class ImportCostTest(unittest.TestCase):
    def test_import_does_not_load_torch(self):
        code = (
            "import sys, aves2_runtime.events, aves2_runtime.metrics, "
            "aves2_runtime.device, aves2_runtime.distributed, aves2_runtime.files; "
            "print('torch' in sys.modules)"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=PACKAGE_ROOT, check=True,
            capture_output=True, text=True,
        ).stdout.strip()
        self.assertEqual(out, "False")


@unittest.skipUnless(torch_available(), "torch not installed")
class DeviceTest(unittest.TestCase):
    def test_cpu_override(self):
        with mock.patch.dict(os.environ, {"AVES2_DEVICE": "cpu"}):
            info = device.select_device()
        self.assertEqual(info.device.type, "cpu")
        self.assertFalse(info.cuda)
        self.assertFalse(info.amp)
        self.assertIsNone(info.amp_dtype)
        self.assertRegex(info.description, r"^cpu \(\d+ threads?\)$")

    def test_more_local_ranks_than_gpus_is_one_clear_error(self):
        import torch

        env = {"WORLD_SIZE": "2", "RANK": "1", "LOCAL_RANK": "1", "AVES2_DEVICE": ""}
        with mock.patch.dict(os.environ, env), mock.patch.object(torch.cuda, "is_available", return_value=True), mock.patch.object(
            torch.cuda, "device_count", return_value=1
        ):
            with self.assertRaises(SystemExit) as raised:
                device.select_device()
        self.assertEqual(
            str(raised.exception),
            "aves2: local rank 1 needs GPU 1, but this node has 1 GPU: run at most 1 worker per node, or train on the CPU with AVES2_DEVICE=cpu",
        )


if __name__ == "__main__":
    unittest.main()
