import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadComponent } from "@aves2/core";
import { runCli, tempDir } from "@aves2/testkit";
import { describe, expect, it } from "vitest";

const component = loadComponent(new URL("..", import.meta.url).pathname);
const DATA = new URL("../data/", import.meta.url).pathname;
/** The manifest's sample: the small CRNN on the bundled lines. */
const SAMPLE = Object.entries(component.sample!.set!).flatMap(([k, v]) => ["--set", `${k}=${v}`]);
const files = (dir: string) => readdirSync(dir).filter((f) => f !== "_SUCCESS").sort(); // the runner's completion marker

describe("crnn-ocr end to end on the local backend", () => {
  it("trains on the bundled lines to the sample's sequence accuracy", async () => {
    const runs = tempDir();
    const tboard = tempDir();
    const r = await runCli(["run", "crnn-ocr", ...SAMPLE, "--output", `tboard_save_dir=${tboard}`, "--json"], { env: { AVES2_RUNS_DIR: runs, CI: "1" } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/data: Train: 600 lines/);
    expect(r.stderr).toMatch(/characters: 21 characters \('0123456789ACEHKLMPRTX'\), built from the labels/);
    const record = JSON.parse(r.stdout);
    expect(record.metrics.summary.sequence_accuracy).toBeGreaterThanOrEqual(component.sample!.min!);
    expect(record.metrics.summary).toMatchObject({ epochs: 12, cer: expect.any(Number) });
    const out = join(runs, record.runId, "output", "model_save_dir");
    expect(files(out)).toEqual(["best.pt", "char_dict.json", "curves.csv", "curves.png", "last.pt", "metrics.json", "model.pt", "ord_map.json", "predictions.txt"]);
    expect(files(tboard)).toEqual(["curves.csv", "curves.png"]);
    const metrics = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8"));
    expect(metrics.sequence_accuracy).toBe(record.metrics.summary.sequence_accuracy);
    expect(metrics.lines).toBe(100);
    expect(JSON.parse(readFileSync(join(out, "char_dict.json"), "utf8"))).toMatchObject({ "48_ord": "0", "65_ord": "A" });
    expect(readFileSync(join(out, "predictions.txt"), "utf8").split("\n")[0]).toMatch(/^images\/0000\.png\t\w+\t\w*\t\d+$/);
  }, 240_000);

  async function refused(dataset: string, extra: string[] = []): Promise<string> {
    const runs = tempDir();
    const r = await runCli(["run", "crnn-ocr", "--input", `dataset_dir=${dataset}`, ...extra], { env: { AVES2_RUNS_DIR: runs } });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(readdirSync(runs)).toEqual([]);
    return r.stderr.trim();
  }

  function copy(lines: string): string {
    const dir = tempDir("aves2-ocr-bad-");
    mkdirSync(join(dir, "Train", "images"), { recursive: true });
    for (const n of ["0000", "0001"]) writeFileSync(join(dir, "Train", "images", `${n}.png`), readFileSync(join(DATA, "Train", "images", `${n}.png`)));
    writeFileSync(join(dir, "Train", "sample.txt"), lines);
    return dir;
  }

  it("refuses a label with a character the given char_dict.json lacks, naming the line", async () => {
    const dir = copy("images/0000.png R283L\nimages/0001.png 0K87R3A#\n");
    mkdirSync(join(dir, "dict"));
    writeFileSync(join(dir, "dict", "char_dict.json"), JSON.stringify(Object.fromEntries([..."0123456789ACEHKLMPRTX"].map((c) => [`${c.codePointAt(0)}_ord`, c]))));
    expect(await refused(dir, ["--input", `char_dict_path=${join(dir, "dict")}`])).toBe(
      `error: ${dir}/Train/sample.txt:2: label "0K87R3A#" has "#" (U+0023), not in ${dir}/dict/char_dict.json (add the characters to char_dict.json (and ord_map.json), or leave char_dict_path unset to build the dictionary from the labels)`,
    );
  });

  it("refuses an empty sample.txt", async () => {
    const dir = copy("");
    expect(await refused(dir)).toBe(`error: ${dir}/Train/sample.txt: is empty: no "path label" lines (one line per image, e.g. images/0001.png 3A7K)`);
    expect(existsSync(join(dir, "Train", "sample.txt"))).toBe(true);
  });
});
