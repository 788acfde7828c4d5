import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { findPython, loadComponent } from "@aves2/core";
import { runCli, tempDir } from "@aves2/testkit";
import { beforeAll, describe, expect, it } from "vitest";

/** object-detection's sample settings, 4 epochs: a model to predict with, made the way users make one. */
const TRAIN = ["--set", "image_size=96", "--set", "epochs=4", "--set", "batch_size=8", "--set", "learning_rate=0.003", "--set", "eval_every_epochs=4"];
const runs = tempDir();
let runId: string;

beforeAll(async () => {
  const r = await runCli(["run", "object-detection", ...TRAIN, "--json"], { env: { AVES2_RUNS_DIR: runs, CI: "1" } });
  if (r.code !== 0) throw new Error(r.stderr + r.stdout);
  runId = JSON.parse(r.stdout).runId as string;
}, 240_000);

describe("detection-predict end to end on the local backend", () => {
  it("writes every val image's boxes as JSON and drawn, above min_score_thresh", async () => {
    const out = tempDir();
    const r = await runCli(["run", "detection-predict", "--input", `model_dir=run:${runId}/output_path`, "--set", "min_score_thresh=0.3", "--output", `output_path=${out}`, "--json"], { env: { AVES2_RUNS_DIR: runs, CI: "1" } });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const files = readdirSync(out).filter((f) => f !== "_SUCCESS");
    expect(files.filter((f) => f.endsWith(".jpg"))).toHaveLength(24); // the sample's val list, drawn
    expect(files.filter((f) => /^\d{6}\.json$/.test(f))).toHaveLength(24);
    const all = JSON.parse(readFileSync(join(out, "predictions.json"), "utf8")) as { image: string; boxes: { class: string; score: number; box: number[] }[] }[];
    expect(all[0]!.image).toBe("000064.jpg");
    const boxes = all.flatMap((p) => p.boxes);
    expect(boxes.length).toBeGreaterThan(0);
    for (const b of boxes) {
      expect(b.score).toBeGreaterThanOrEqual(0.3);
      expect(["circle", "square", "triangle"]).toContain(b.class);
      expect(b.box).toHaveLength(4);
    }
    const record = JSON.parse(r.stdout);
    expect(record.metrics.summary).toMatchObject({ images: 24, boxes: boxes.length, min_score_thresh: 0.3 });
    expect(record.metrics.summary.map).toEqual(expect.any(Number)); // the sample's images are annotated: scored too
  }, 120_000);

  it("refuses an image-classification checkpoint, in one line", async () => {
    const component = loadComponent(new URL("..", import.meta.url).pathname);
    const python = (await findPython(component.runtime.python!)).path;
    const folder = tempDir("aves2-classifier-");
    const save = `import torch; torch.save({"model_name": "resnet18", "num_class": 10, "classes": [str(i) for i in range(10)], "image_size": 32, "state_dict": {}}, ${JSON.stringify(join(folder, "model.pt"))})`;
    const w = spawnSync(python, ["-c", save], { encoding: "utf8" });
    expect(w.status, w.stderr).toBe(0);
    const r = await runCli(["run", "detection-predict", "--input", `model_dir=${folder}`], { env: { AVES2_RUNS_DIR: tempDir(), CI: "1" } });
    expect(r.code).toBe(2); // the entry refused its input: the command says so with 2
    expect(r.stdout).toMatch(
      /worker-0 exited with code 2: error: \S+\/model.pt: is an image-classification checkpoint \(resnet18, 10 classes\), not an object detector \(give the output_path of an object-detection run, e.g. --input model_dir=run:<id>\/output_path\)/,
    );
  }, 60_000);
});
