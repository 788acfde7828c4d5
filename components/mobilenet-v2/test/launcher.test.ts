import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunSpec } from "@aves2/core";
import { describe, expect, it } from "vitest";
import launcher from "../launcher.js";

function imageFolder(classes: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "imgs-"));
  for (const c of classes) mkdirSync(join(dir, c));
  return dir;
}
const spec = (numClass: number) => ({ params: [{ name: "num_class", value: numClass, from: "--set" }] }) as unknown as RunSpec;

describe("mobilenet-v2 launcher preflight", () => {
  it("accepts num_class equal to the class folders", async () => {
    const train = imageFolder(["cat", "dog", "fox"]);
    expect(await launcher.preflight!({ spec: spec(3), inputDir: (n) => (n === "train_data_dir" ? train : undefined) })).toEqual([]);
  });

  it("names the mismatch and the fix", async () => {
    const train = imageFolder(["cat", "dog", "fox"]);
    const problems = await launcher.preflight!({ spec: spec(37), inputDir: (n) => (n === "train_data_dir" ? train : undefined) });
    expect(problems).toEqual([{ path: "num_class", message: `is 37 but ${train} has 3 class folders (cat, dog, fox)`, hint: "--set num_class=3" }]);
  });

  it("rejects validation classes the training data lacks", async () => {
    const train = imageFolder(["cat", "dog"]);
    const val = imageFolder(["cat", "dog", "emu"]);
    const problems = await launcher.preflight!({ spec: spec(2), inputDir: (n) => ({ train_data_dir: train, validation_data_dir: val })[n] });
    expect(problems).toEqual([expect.objectContaining({ path: "--input validation_data_dir", message: "has classes the training data lacks: emu" })]);
  });

  it("leaves TFRecord shards and path,label CSVs to the entry, which checks their labels", async () => {
    const shards = imageFolder([]);
    writeFileSync(join(shards, "train-00000-of-00001"), "");
    expect(await launcher.preflight!({ spec: spec(37), inputDir: () => shards })).toEqual([]);
    const csv = imageFolder([]);
    writeFileSync(join(csv, "labels.csv"), "path,label\n");
    expect(await launcher.preflight!({ spec: spec(37), inputDir: () => csv })).toEqual([]);
  });

  it("rejects a folder that is not ImageFolder data", async () => {
    const flat = imageFolder([]);
    const problems = await launcher.preflight!({ spec: spec(2), inputDir: () => flat });
    expect(problems?.[0]?.message).toMatch(/has 0 class folder\(s\)/);
  });
});
