import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunSpec } from "@aves2/core";
import { tempDir } from "@aves2/testkit";
import { describe, expect, it } from "vitest";
import { checkSampleTxt, parseLine } from "@aves2/core";
import launcher from "../launcher.js";

const DATA = new URL("../data/", import.meta.url).pathname;
const preflight = (inputs: Record<string, string | undefined>) => launcher.preflight!({ spec: {} as RunSpec, inputDir: (n) => inputs[n] });

function dataset(lines: string, images: string[] = ["a.png"]): string {
  const dir = tempDir("aves2-ocr-");
  mkdirSync(join(dir, "Train", "images"), { recursive: true });
  for (const name of images) writeFileSync(join(dir, "Train", "images", name), "");
  writeFileSync(join(dir, "Train", "sample.txt"), lines);
  return dir;
}

describe("crnn-ocr's preflight", () => {
  it("reads both line forms", () => {
    expect(parseLine("images/0001.png 3A7K\n")).toEqual({ path: "images/0001.png", label: "3A7K" });
    expect(parseLine('word_1.png, "Tired ness"\r\n')).toEqual({ path: "word_1.png", label: "Tired ness" });
    expect(parseLine("  \n")).toBeNull();
    expect(parseLine("alone.png")).toBe('"alone.png" has no label: "path label" is expected');
  });

  it("passes the bundled sample", async () => {
    expect(await preflight({ dataset_dir: DATA })).toEqual([]);
  });

  it("refuses an empty sample.txt, a missing image and a missing Train split", async () => {
    const empty = dataset("\n");
    expect(await preflight({ dataset_dir: empty })).toEqual([{ path: join(empty, "Train", "sample.txt"), message: 'is empty: no "path label" lines', hint: "one line per image, e.g. images/0001.png 3A7K" }]);
    const missing = dataset("a.png 12\nb.png 34\n");
    expect(await preflight({ dataset_dir: missing })).toMatchObject([{ line: 2, message: expect.stringMatching(/^image b.png not found/) }]);
    expect(await preflight({ dataset_dir: tempDir() })).toMatchObject([{ path: "--dataset_dir", message: expect.stringMatching(/has no Train\/sample.txt$/) }]);
  });

  it("checks labels against a given char_dict.json", async () => {
    const dir = dataset("a.png 12\na.png 1#\na.png ##\n");
    mkdirSync(join(dir, "dict"));
    writeFileSync(join(dir, "dict", "char_dict.json"), JSON.stringify({ "49_ord": "1", "50_ord": "2" }));
    expect(await preflight({ dataset_dir: dir, char_dict_path: join(dir, "dict") })).toEqual([{
      path: join(dir, "Train", "sample.txt"),
      line: 2,
      message: `label "1#" has "#" (U+0023), not in ${join(dir, "dict", "char_dict.json")}; 1 more line too`,
      hint: "add the characters to char_dict.json (and ord_map.json), or leave char_dict_path unset to build the dictionary from the labels",
    }]);
    // without one, the labels make the dictionary
    expect(await preflight({ dataset_dir: dir })).toEqual([]);
    expect(checkSampleTxt(join(dir, "Train", "sample.txt"))).toEqual([]);
  });
});
