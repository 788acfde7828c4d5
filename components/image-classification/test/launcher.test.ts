import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunSpec } from "@aves2/core";
import { describe, expect, it } from "vitest";
import launcher from "../launcher.js";

const DATA = new URL("../data/digits-tfrecord/", import.meta.url).pathname;
const spec = (numClass: number) => ({ params: [{ name: "num_class", value: numClass, from: "--set" }] }) as unknown as RunSpec;
const folder = (files: string[], dirs: string[] = []): string => {
  const dir = mkdtempSync(join(tmpdir(), "imgs-"));
  for (const f of files) writeFileSync(join(dir, f), "");
  for (const d of dirs) mkdirSync(join(dir, d));
  return dir;
};
const preflight = (numClass: number, train: string, validation?: string) =>
  launcher.preflight!({ spec: spec(numClass), inputDir: (n) => ({ train_data_dir: train, validation_data_dir: validation })[n] });

describe("image-classification launcher preflight", () => {
  it("leaves TFRecord shards to the entry, which reads their labels", async () => {
    expect(await preflight(37, join(DATA, "train"), join(DATA, "validation"))).toEqual([]);
    expect(await preflight(3, folder(["data.tfrecord"]))).toEqual([]);
    expect(await preflight(3, join(DATA, "train", "train-00000-of-00002"))).toEqual([]); // a single shard
  });

  it("leaves a path,label CSV to the entry", async () => {
    expect(await preflight(3, folder(["labels.csv", "a.jpg"]))).toEqual([]);
  });

  it("checks ImageFolder class folders against num_class", async () => {
    const train = folder([], ["cat", "dog"]);
    expect(await preflight(3, train)).toEqual([{ path: "num_class", message: `is 3 but ${train} has 2 class folders (cat, dog)`, hint: "--set num_class=2" }]);
    expect(await preflight(2, train)).toEqual([]);
  });
});
