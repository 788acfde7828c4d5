import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, tempDir } from "@aves2/testkit";
import { beforeAll, describe, expect, it } from "vitest";

/** object-detection's sample settings, 4 epochs: a model to evaluate, made the way users make one. */
const TRAIN = ["--set", "image_size=96", "--set", "epochs=4", "--set", "batch_size=8", "--set", "learning_rate=0.003", "--set", "eval_every_epochs=4"];
const runs = tempDir();
let trained: { runId: string; result: { map: number; ap_per_class: Record<string, number> } };

beforeAll(async () => {
  const r = await runCli(["run", "object-detection", ...TRAIN, "--json"], { env: { AVES2_RUNS_DIR: runs, CI: "1" } });
  if (r.code !== 0) throw new Error(r.stderr + r.stdout);
  const runId = JSON.parse(r.stdout).runId as string;
  trained = { runId, result: JSON.parse(readFileSync(join(runs, runId, "output/output_path/result.json"), "utf8")) };
}, 240_000);

describe("detection-evaluate end to end on the local backend", () => {
  it("scores object-detection's model, chained by run:<id>/output_path, as its training validated it", async () => {
    const out = tempDir();
    const r = await runCli(["run", "detection-evaluate", "--input", `model_dir=run:${trained.runId}/output_path`, "--output", `output_path=${out}`, "--json"], { env: { AVES2_RUNS_DIR: runs, CI: "1" } });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const result = JSON.parse(readFileSync(join(out, "result.json"), "utf8"));
    // the upstream's names first
    for (const k of ["map", "precision", "recall", "ap_per_class", "map_50_95", "per_class"]) expect(result, k).toHaveProperty(k);
    expect(result.map).toBeCloseTo(trained.result.map, 6); // the same model, the same val split
    expect(result.ap_per_class).toEqual(trained.result.ap_per_class);
    expect(result.images).toBe(24);
    expect(readdirSync(out).filter((f) => f !== "_SUCCESS")).toEqual(["result.json"]);
    const record = JSON.parse(r.stdout);
    expect(record.metrics.summary).toMatchObject({ map: result.map, precision: result.precision, recall: result.recall, images: 24 });
  }, 120_000);

  it("refuses a folder with no detector in it, in one line", async () => {
    const folder = tempDir();
    writeFileSync(join(folder, "notes.txt"), "not a model\n");
    const r = await runCli(["run", "detection-evaluate", "--input", `model_dir=${folder}`], { env: { AVES2_RUNS_DIR: tempDir(), CI: "1" } });
    expect(r.code).toBe(2); // the entry refused its input: the command says so with 2
    expect(r.stdout).toMatch(/worker-0 exited with code 2: error: \S+: --model_dir has no model.pt \(give the output_path of an object-detection run, e.g. run:<id>\/output_path\)/);
  }, 60_000);
});
