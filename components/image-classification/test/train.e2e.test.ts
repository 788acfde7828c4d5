import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, tempDir } from "@aves2/testkit";
import { describe, expect, it } from "vitest";

/** The manifest's sample: ResNet-18 on the bundled digits (TFRecord, JPEG), 32 px, 2 epochs. */
const SAMPLE = ["--set", "model_name=resnet18", "--set", "num_class=10", "--set", "epochs=2", "--set", "image_size=32", "--set", "eval_every_epochs=1"];

describe("image-classification end to end on the local backend", () => {
  it("trains on the bundled TFRecord shards and writes the upstream's result files", async () => {
    const runs = tempDir();
    const out = tempDir();
    const summary = tempDir();
    const r = await runCli(["run", "image-classification", ...SAMPLE, "--output", `result_dir=${out}`, "--output", `summary_dir=${summary}`], { env: { AVES2_RUNS_DIR: runs, CI: "1" } });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/data: train: TFRecord, 2 shards, 1,437 images, 10 classes, labels 1-based \(shifted to 0-based\)/);
    expect(r.stdout).toMatch(/model: resnet18 → torchvision resnet18/);

    const result = JSON.parse(readFileSync(join(out, "result.json"), "utf8"));
    expect(result.accuracy).toBeGreaterThan(0.8);
    for (const k of ["precision", "recall", "f1", "auc_micro", "recall_score", "f1_score"]) expect(result[k], k).toEqual(expect.any(Number));
    expect(Object.keys(result.classification_report)).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    const files = (dir: string) => readdirSync(dir).filter((f) => f !== "_SUCCESS").sort(); // the runner's completion marker
    expect(files(out)).toEqual(["classification_report.txt", "confusion_matrix.csv", "confusion_matrix.txt", "correct.txt", "curves.csv", "curves.png", "error.txt", "metrics.json", "result.json"]);
    expect(files(summary)).toEqual(["curves.csv", "curves.png"]);
    const lines = [...readFileSync(join(out, "correct.txt"), "utf8").split("\n"), ...readFileSync(join(out, "error.txt"), "utf8").split("\n")].filter(Boolean);
    expect(lines).toHaveLength(360);
    expect(lines[0]).toMatch(/^\d{4}\.jpg\t\d\t\d$/); // image/filename, true class, predicted class

    const [runId] = readdirSync(runs);
    const record = JSON.parse(readFileSync(join(runs, runId!, "run.json"), "utf8"));
    expect(record.metrics.summary).toMatchObject({ top1: result.accuracy, epochs: 2 });
    expect(files(join(runs, runId!, "output/checkpoint_dir"))).toEqual(["best.pt", "last.pt", "model.pt"]);
  }, 300_000);

  it("refuses an upstream model torchvision lacks before anything starts", async () => {
    const runs = tempDir();
    const r = await runCli(["run", "image-classification", "--set", "model_name=pnasnet_large"], { env: { AVES2_RUNS_DIR: runs } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/model_name.*"pnasnet_large" is not one of vgg_16, .*vit_b_16/);
    expect(readdirSync(runs)).toEqual([]);
  });

  it("refuses an image size the net cannot take, in one line, before training", async () => {
    const runs = tempDir();
    const r = await runCli(["run", "image-classification", ...SAMPLE, "--set", "model_name=inception_v4", "--set", "image_size=64"], { env: { AVES2_RUNS_DIR: runs, CI: "1" } });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/--image_size: 64 is too small for inception_v4: it needs at least 75 px/);
    const [runId] = readdirSync(runs);
    expect(existsSync(join(runs, runId!, "output/checkpoint_dir/last.pt"))).toBe(false);
  }, 120_000);
});
