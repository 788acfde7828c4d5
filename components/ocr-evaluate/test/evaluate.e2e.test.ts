import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findPython, loadComponent } from "@aves2/core";
import { REPO, runCli, tempDir } from "@aves2/testkit";
import { spawnSync } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";

const component = loadComponent(new URL("..", import.meta.url).pathname);
const crnn = loadComponent(join(REPO, "components", "crnn-ocr"));
const DATA = new URL("../data/", import.meta.url).pathname;
const runs = tempDir("aves2-ocr-eval-runs-");
let trained: string; // a crnn-ocr run: its sample's net, one epoch (a real chain, not a good model)

beforeAll(async () => {
  const sets = Object.entries({ ...crnn.sample!.set!, epochs: 1 }).flatMap(([k, v]) => ["--set", `${k}=${v}`]);
  const r = await runCli(["run", "crnn-ocr", ...sets, "--json"], { env: { AVES2_RUNS_DIR: runs, CI: "1" } });
  if (r.code !== 0) throw new Error(r.stderr);
  trained = JSON.parse(r.stdout).runId;
}, 180_000);

/** Exit 2, one line, and no run created (the runs folder holds the crnn-ocr run it may name). */
async function refused(args: string[]): Promise<string> {
  const before = readdirSync(runs).sort();
  const r = await runCli(["run", "ocr-evaluate", ...args], { env: { AVES2_RUNS_DIR: runs } });
  expect(r.code, r.stdout + r.stderr).toBe(2);
  expect(r.stderr.trim().split("\n")).toHaveLength(1);
  expect(readdirSync(runs).sort()).toEqual(before);
  return r.stderr.trim();
}

describe("ocr-evaluate end to end on the local backend", () => {
  it("scores crnn-ocr's model_save_dir (run:<id>/model_save_dir) on the bundled Test lines", async () => {
    const out = tempDir();
    const r = await runCli(["run", "ocr-evaluate", "--input", `model_save_dir=run:${trained}/model_save_dir`, "--output", `result_dir=${out}`, "--json"], { env: { AVES2_RUNS_DIR: runs, CI: "1" } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/data: Test: 60 lines/);
    const summary = JSON.parse(r.stdout).metrics.summary;
    const result = JSON.parse(readFileSync(join(out, "result.json"), "utf8"));
    expect(summary).toEqual({ sequence_accuracy: result.sequence_accuracy, cer: result.cer, per_char_accuracy: result.per_char_accuracy, lines: 60 });
    expect(result.model_characters).toBe("0123456789ACEHKLMPRTX");
    expect(readdirSync(out).filter((f) => f !== "_SUCCESS").sort()).toEqual(["errors.txt", "predictions.txt", "result.json"]);
    const rows = readFileSync(join(out, "predictions.txt"), "utf8").trim().split("\n");
    expect(rows).toHaveLength(60);
    expect(rows[0]).toMatch(/^images\/0000\.png\t\w+\t\w*\t\d+$/);
    const wrong = readFileSync(join(out, "errors.txt"), "utf8").trim().split("\n").filter(Boolean);
    expect(wrong.length).toBe(60 - result.correct_lines);
  }, 120_000);

  it("refuses an image classifier's checkpoint before reading any line", async () => {
    const folder = tempDir("aves2-classifier-");
    const python = (await findPython(component.runtime.python!)).path;
    const code = "import sys, torch\nfrom aves2_runtime.vision import checkpoints\ncheckpoints.save_best(sys.argv[1], torch.nn.Linear(4, 3), {'model_name': 'resnet18', 'num_class': 3, 'classes': ['a', 'b', 'c'], 'image_size': 32, 'epoch': 1})";
    const made = spawnSync(python, ["-c", code, folder], { encoding: "utf8", env: { ...process.env, PYTHONPATH: join(REPO, "packages/python-runtime") } });
    expect(made.status, made.stderr).toBe(0);
    expect(await refused(["--input", `model_save_dir=${folder}`])).toBe(
      `error: --model_save_dir: ${folder}/model.pt is an image-classification checkpoint (model_name resnet18), not a text recogniser (ocr-evaluate reads crnn-ocr's model_save_dir, e.g. --input model_save_dir=run:<run-id>/model_save_dir)`,
    );
  });

  it("refuses labels with characters the model does not know, and an empty sample.txt", async () => {
    const dir = tempDir("aves2-ocr-bad-");
    mkdirSync(join(dir, "Test", "images"), { recursive: true });
    writeFileSync(join(dir, "Test", "images", "a.png"), readFileSync(join(DATA, "Test", "images", "0000.png")));
    writeFileSync(join(dir, "Test", "sample.txt"), "images/a.png 93EL4\nimages/a.png 93el4\n");
    expect(await refused(["--input", `model_save_dir=run:${trained}/model_save_dir`, "--input", `dataset_dir=${dir}`])).toMatch(
      new RegExp(`^error: ${dir}/Test/sample.txt:2: label "93el4" has "e" \\(U\\+0065\\), "l" \\(U\\+006C\\), not in the model's characters`),
    );
    writeFileSync(join(dir, "Test", "sample.txt"), "\n");
    expect(await refused(["--input", `model_save_dir=run:${trained}/model_save_dir`, "--input", `dataset_dir=${dir}`])).toBe(
      `error: ${dir}/Test/sample.txt: is empty: no "path label" lines (one line per image, e.g. images/0001.png 3A7K)`,
    );
  });
});
