"""aves2_runtime.vision.models and training: the model table, image-size checks, the
classifier head, learning-rate schedules, optimizers, and restoring a Trainer."""

import math
import types
import unittest

import torch

from aves2_runtime.device import DeviceInfo
from aves2_runtime.problems import Problem
from aves2_runtime.vision import models, params, training


class ModelTableTest(unittest.TestCase):
    def test_upstream_names_map_to_torchvision(self):
        mapped = {n: models.NETS[n].builder for n in ("vgg_16", "resnet_v2_50", "resnet_v2_101", "inception_v4", "inception_resnet_v2", "mobilenet_v2_14")}
        self.assertEqual(mapped, {"vgg_16": "vgg16", "resnet_v2_50": "resnet50", "resnet_v2_101": "resnet101", "inception_v4": "inception_v3", "inception_resnet_v2": "inception_v3", "mobilenet_v2_14": "mobilenet_v2"})
        self.assertIn("it has no Inception v4", models.describe("inception_v4"))
        self.assertEqual(models.describe("mobilenet_v2_035"), "mobilenet_v2_035 → torchvision mobilenet_v2(width_mult=0.35)")

    def test_every_builder_exists_in_torchvision(self):
        from torchvision import models as tv

        for name, net in models.NETS.items():
            self.assertTrue(callable(getattr(tv, net.builder, None)), name)

    def test_nasnet_is_refused_with_the_supported_names(self):
        with self.assertRaises(Problem) as e:
            models.net("nasnet_large")
        self.assertEqual(str(e.exception).split(" (")[0], "--model_name: nasnet_large: torchvision has no NASNet")
        self.assertIn("supported: vgg_16, resnet_v2_50", str(e.exception))
        with self.assertRaisesRegex(Problem, r"resnet18: unknown model \(supported: mobilenet_v2_035, "):
            models.net("resnet18", models.MOBILENET_V2)

    def test_image_size_limits(self):
        models.check_image_size("inception_v4", 75)
        with self.assertRaisesRegex(Problem, r"^--image_size: 74 is too small for inception_v4: it needs at least 75 px"):
            models.check_image_size("inception_v4", 74)
        models.check_image_size("vit_b_16", 224)
        with self.assertRaisesRegex(Problem, r"200 does not suit vit_b_16: it needs a multiple of 16 px \(--image_size 192\)"):
            models.check_image_size("vit_b_16", 200)
        with self.assertRaisesRegex(Problem, "at least 32 px"):
            models.check_image_size("vgg_16", 24)

    def test_the_minimums_are_what_torchvision_needs(self):
        # inception_v3 at its minimum works and one pixel less fails inside the net
        net = models.build("inception_v3", 3, 75).eval()
        with torch.no_grad():
            self.assertEqual(tuple(net(torch.zeros(1, 3, 75, 75)).shape), (1, 3))
            with self.assertRaises(RuntimeError):
                net(torch.zeros(1, 3, 74, 74))

    def test_build_sizes_the_head_and_sets_bn_momentum(self):
        net = models.build("mobilenet_v2_035", 7, 32)
        name, head = models.classifier(net)
        self.assertEqual((name, head.out_features), ("classifier.1", 7))
        momenta = {m.momentum for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)}
        self.assertEqual(momenta, {models.BN_MOMENTUM})
        self.assertEqual(models.classifier(models.build("resnet18", 4, 32))[0], "fc")

    def test_vit_takes_the_image_size(self):
        net = models.build("vit_b_16", 2, 32).eval()
        with torch.no_grad():
            self.assertEqual(tuple(net(torch.zeros(1, 3, 32, 32)).shape), (1, 2))

    def test_freeze_backbone(self):
        net = models.build("resnet18", 3, 32)
        name, count = models.freeze_backbone(net)
        trainable = [n for n, p in net.named_parameters() if p.requires_grad]
        self.assertEqual((name, trainable, count), ("fc", ["fc.weight", "fc.bias"], 512 * 3 + 3))


class ScheduleTest(unittest.TestCase):
    def factor(self, schedule, step, steps=10, epochs=20, rate=0.5, every=3):
        return training.lr_factor(schedule, step, steps, epochs * steps, rate, every)

    def test_exponential_is_stepwise_per_decay_epochs(self):
        # 10 steps an epoch, decay every 3 epochs = 30 steps: flat, then x0.5 at the boundary
        self.assertEqual([self.factor("exponential", s) for s in (0, 29, 30, 59, 60)], [1, 1, 0.5, 0.5, 0.25])

    def test_fractional_decay_epochs(self):
        self.assertEqual(self.factor("exponential", 15, every=1.5), 0.5)

    def test_cosine_ends_at_zero(self):
        self.assertEqual(self.factor("cosine", 0), 1.0)
        self.assertAlmostEqual(self.factor("cosine", 100), 0.5)
        self.assertAlmostEqual(self.factor("cosine", 200), 0.0)
        self.assertAlmostEqual(self.factor("cosine", 250), 0.0)  # past the end: stays at 0

    def test_upstream_others(self):
        self.assertEqual(self.factor("none", 1234), 1.0)
        self.assertAlmostEqual(self.factor("natural_exp", 30), math.exp(-0.5))
        # polynomial: 0.1 + 0.9 (1 - step/cycle)^2, the cycle growing to the next multiple of 30 steps (TF's cycle=True)
        self.assertAlmostEqual(self.factor("polynomial", 15), 0.1 + 0.9 * 0.25)
        self.assertAlmostEqual(self.factor("polynomial", 30), 0.1)
        self.assertAlmostEqual(self.factor("polynomial", 45), 0.1 + 0.9 * 0.25**2)

    def test_upstream_spellings_are_accepted(self):
        arg = next(a for a in params.table(models.NETS, {}) if a.name == "lr_decay")
        self.assertEqual([arg.parse(v) for v in ("exponential_decay", "fixed", "natural_exp_decay", "polynomial_decay")], ["exponential", "none", "natural_exp", "polynomial"])


CPU = DeviceInfo(torch.device("cpu"), False, False, None, "cpu")


def trainer_args(**overrides):
    values = dict(optimizer="sgd", lr=0.1, weight_decay=0.01, lr_decay="exponential", decay_rate=0.5, decay_epochs=1.0, epochs=5, compile=0, label_smoothing=0.0, display_every_steps=0, num_class=2)
    return types.SimpleNamespace(**{**values, **overrides})


class TrainerTest(unittest.TestCase):
    def test_no_weight_decay_on_biases_and_norms(self):
        net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
        decay, rest = training.param_groups(net, 0.1)
        self.assertEqual([tuple(p.shape) for p in decay["params"]], [(4, 3)])
        self.assertEqual(len(rest["params"]), 3)
        self.assertEqual(rest["weight_decay"], 0.0)

    def test_optimizers(self):
        net = torch.nn.Linear(2, 2)
        kinds = {n: type(training.make_optimizer(n, net, 0.1, 0.0)).__name__ for n in training.OPTIMIZERS}
        self.assertEqual(kinds, {"adam": "Adam", "sgd": "SGD", "adamw": "AdamW", "rmsprop": "RMSprop"})
        self.assertEqual(training.make_optimizer("sgd", net, 0.1, 0.0).defaults["momentum"], 0.9)

    def test_restored_state_continues_the_schedule(self):
        def run(steps, trainer):
            for _ in range(steps):
                trainer.optimizer.zero_grad()
                trainer.model(torch.ones(1, 2)).sum().backward()
                trainer.optimizer.step()
                trainer.scheduler.step()

        torch.manual_seed(0)
        first = training.Trainer(torch.nn.Linear(2, 2), CPU, trainer_args(), steps_per_epoch=2)
        run(3, first)
        saved = first.state_dict()
        second = training.Trainer(torch.nn.Linear(2, 2), CPU, trainer_args(), steps_per_epoch=2)
        second.load_state_dict(saved)
        self.assertEqual(second.lr(), first.lr())
        self.assertEqual(second.lr(), 0.1 * 0.5)  # step 3 of 2-step epochs: one decay
        run(1, first)
        run(1, second)
        self.assertEqual(second.lr(), first.lr())
        self.assertEqual(second.lr(), 0.1 * 0.25)
