import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { findPython, loadComponent } from "@aves2/core";
import { REPO, runCli, tempDir } from "@aves2/testkit";
import { beforeAll, describe, expect, it } from "vitest";

const component = loadComponent(new URL("..", import.meta.url).pathname);
const crnn = loadComponent(join(REPO, "components", "crnn-ocr"));
const DATA = new URL("../data/", import.meta.url).pathname;
const runs = tempDir("aves2-ocr-predict-runs-");
let trained: string; // a crnn-ocr run: its sample's net, one epoch (a real chain, not a good model)

beforeAll(async () => {
  const sets = Object.entries({ ...crnn.sample!.set!, epochs: 1 }).flatMap(([k, v]) => ["--set", `${k}=${v}`]);
  const r = await runCli(["run", "crnn-ocr", ...sets, "--json"], { env: { AVES2_RUNS_DIR: runs, CI: "1" } });
  if (r.code !== 0) throw new Error(r.stderr);
  trained = JSON.parse(r.stdout).runId;
}, 180_000);

const predict = (args: string[]) => runCli(["run", "ocr-predict", "--input", `model_save_dir=run:${trained}/model_save_dir`, ...args, "--json"], { env: { AVES2_RUNS_DIR: runs, CI: "1" } });

describe("ocr-predict end to end on the local backend", () => {
  it("reads a folder of images in name order, as the upstream", async () => {
    const out = tempDir();
    const r = await predict(["--input", `image_path=${join(DATA, "images")}`, "--output", `result_dir=${out}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).metrics.summary).toEqual({ lines: 24 });
    const rows = readFileSync(join(out, "predictions.txt"), "utf8").split("\n").filter(Boolean);
    expect(rows.map((l) => l.split("\t")[0])).toEqual(readdirSync(join(DATA, "images")).sort());
    expect(rows.every((l) => /^\d{4}\.png\t[0-9ACEHKLMPRTX]*$/.test(l))).toBe(true);
  }, 120_000);

  it("scores its predictions when the folder has a sample.txt", async () => {
    const out = tempDir();
    const r = await predict(["--output", `result_dir=${out}`]);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(readFileSync(join(out, "result.json"), "utf8"));
    expect(JSON.parse(r.stdout).metrics.summary).toEqual({ lines: 24, sequence_accuracy: result.sequence_accuracy, cer: result.cer });
    expect(readFileSync(join(out, "predictions.txt"), "utf8").split("\n")[0]).toMatch(/^images\/0000\.png\t/);
  }, 120_000);

  it("refuses an image classifier's checkpoint, in one line, before anything starts", async () => {
    const folder = tempDir("aves2-classifier-");
    const python = (await findPython(component.runtime.python!)).path;
    const code = "import sys, torch\nfrom aves2_runtime.vision import checkpoints\ncheckpoints.save_best(sys.argv[1], torch.nn.Linear(4, 3), {'model_name': 'resnet18', 'num_class': 3, 'classes': ['a', 'b', 'c'], 'image_size': 32, 'epoch': 1})";
    const made = spawnSync(python, ["-c", code, folder], { encoding: "utf8", env: { ...process.env, PYTHONPATH: join(REPO, "packages/python-runtime") } });
    expect(made.status, made.stderr).toBe(0);
    const mine = tempDir();
    const r = await runCli(["run", "ocr-predict", "--input", `model_save_dir=${folder}`], { env: { AVES2_RUNS_DIR: mine } });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr.trim()).toBe(
      `error: --model_save_dir: ${folder}/model.pt is an image-classification checkpoint (model_name resnet18), not a text recogniser (ocr-predict reads crnn-ocr's model_save_dir, e.g. --input model_save_dir=run:<run-id>/model_save_dir)`,
    );
    expect(readdirSync(mine)).toEqual([]);
  });
});
