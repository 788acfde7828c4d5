import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Launcher, Problem } from "@aves2/core";

/**
 * Before the run starts (exit 2, nothing created), in the words aves2_runtime.ocr uses
 * inside the run: a model_save_dir that is not crnn-ocr's (an image classifier's, a
 * detector's, the upstream's TensorFlow files), no sample.txt, an empty one, a missing
 * image (with its line), a label with characters the model does not know (its
 * char_dict.json). The entry checks all of this again wherever it runs.
 * (The sample.txt helpers are crnn-ocr's launcher's, the model check ocr-predict's.)
 */

/** `path label`, or the upstream parser's `name, "label"`; null for a blank line, a message for a bad one. */
export function parseLine(text: string): { path: string; label: string } | null | string {
  const line = text.replace(/\r?\n$/, "").replace(/\r$/, "");
  if (!line.trim()) return null;
  const icdar = /^([^,]+?)\s*,\s*"(.*)"\s*$/.exec(line);
  let path: string;
  let label: string;
  if (icdar) {
    [path, label] = [icdar[1]!.trim(), icdar[2]!];
  } else {
    const m = /^\s*(\S+)\s+(.*?)\s*$/.exec(line);
    if (!m) return `"${line.trim()}" has no label: "path label" is expected`;
    [path, label] = [m[1]!, m[2]!];
  }
  return label ? { path, label } : `"${line.trim()}" has an empty label`;
}

/** `dir/<split>/sample.txt` in any case of the split's name. */
export function splitFile(dir: string, split: string): string | undefined {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return undefined;
  const entry = readdirSync(dir).find((e) => e.toLowerCase() === split.toLowerCase() && existsSync(join(dir, e, "sample.txt")));
  return entry ? join(dir, entry, "sample.txt") : undefined;
}

/** The characters of an upstream char_dict.json ({"<ord>_ord": "<char>"} or {"<ord>": "<char>"}), or a problem. */
export function readCharDict(file: string): Set<string> | Problem {
  try {
    const data = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    return new Set(Object.values(data).filter((v): v is string => typeof v === "string"));
  } catch (e) {
    return { path: file, message: `cannot read character dictionary: ${(e as Error).message.split("\n")[0]}` };
  }
}

const show = (c: string) => `"${c}" (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")})`;

/** The problem of a sample.txt, or none: lines, images, labels against `chars` (when given, named `dictionary`). */
export function checkSampleTxt(file: string, chars?: Set<string>, dictionary = "char_dict.json"): Problem[] {
  const folder = dirname(file);
  const lines = readFileSync(file, "utf8").replace(/^\uFEFF/, "").split("\n");
  let count = 0;
  const bad: { line: number; label: string; missing: string[] }[] = [];
  for (const [i, text] of lines.entries()) {
    const parsed = parseLine(text);
    if (parsed === null) continue;
    if (typeof parsed === "string") return [{ path: file, line: i + 1, message: parsed }];
    if (!existsSync(join(folder, parsed.path)) && !existsSync(join(folder, "images", parsed.path))) {
      return [{ path: file, line: i + 1, message: `image ${parsed.path} not found (looked for ${join(folder, parsed.path)} and in ${join(folder, "images")})` }];
    }
    count++;
    const missing = chars ? [...new Set([...parsed.label].filter((c) => !chars.has(c)))] : [];
    if (missing.length) bad.push({ line: i + 1, label: parsed.label, missing });
  }
  if (count === 0) return [{ path: file, message: 'is empty: no "path label" lines', hint: "one line per image, e.g. images/0001.png 3A7K" }];
  if (bad.length) {
    const [first] = bad;
    const more = bad.length > 1 ? `; ${bad.length - 1} more line${bad.length > 2 ? "s" : ""} too` : "";
    return [{
      path: file,
      line: first!.line,
      message: `label "${first!.label}" has ${first!.missing.map(show).join(", ")}, not in ${dictionary}${more}`,
      hint: "add the characters to char_dict.json (and ord_map.json), or leave char_dict_path unset to build the dictionary from the labels",
    }];
  }
  return [];
}

/** The string a pickled dict maps `key` to (protocol 2, as torch.save writes; data.pkl is stored uncompressed first in its zip). */
export function pickledString(head: Buffer, key: string): string | undefined {
  const k = Buffer.from(key, "utf8");
  const tag = Buffer.concat([Buffer.from([0x58]), Buffer.from(new Uint32Array([k.length]).buffer), k]);
  let at = head.indexOf(tag);
  if (at < 0) return undefined;
  at += tag.length;
  if (head[at] === 0x71) at += 2; // BINPUT
  else if (head[at] === 0x72) at += 5; // LONG_BINPUT
  if (head[at] !== 0x58 || at + 5 > head.length) return undefined;
  const n = head.readUInt32LE(at + 1);
  return head.subarray(at + 5, at + 5 + n).toString("utf8");
}

/** What model_save_dir holds, as far as its first bytes tell: a problem unless it is crnn-ocr's checkpoint. */
export function checkModelDir(dir: string, component: string): Problem[] {
  const hint = `${component} reads crnn-ocr's model_save_dir, e.g. --input model_save_dir=run:<run-id>/model_save_dir`;
  if (!existsSync(dir)) return [{ path: "--model_save_dir", message: `${dir} does not exist`, hint }];
  let file = dir;
  if (statSync(dir).isDirectory()) {
    const names = readdirSync(dir);
    const pts = names.filter((n) => (n.endsWith(".pt") || n.endsWith(".pth")) && n !== "last.pt");
    const found = ["model.pt", "best.pt"].find((n) => names.includes(n)) ?? (pts.length === 1 ? pts[0] : undefined);
    if (!found) {
      if (names.some((n) => n.includes(".ckpt") || n.endsWith(".index") || n === "checkpoint")) {
        return [{ path: "--model_save_dir", message: `${dir} holds TensorFlow checkpoints (the upstream CRNN's), which this PyTorch net cannot read`, hint: "train one with crnn-ocr and give its model_save_dir" }];
      }
      return [{ path: "--model_save_dir", message: `${dir} has no model.pt`, hint }];
    }
    file = join(dir, found);
  }
  const fd = openSync(file, "r");
  const head = Buffer.alloc(Math.min(statSync(file).size, 1 << 18));
  readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  if (head.subarray(0, 2).toString("latin1") !== "PK") return []; // not torch's zip format: the entry reads it
  const task = pickledString(head, "task");
  if (task === "text-recognition") return [];
  const name = pickledString(head, "model_name");
  let why = "is not a crnn-ocr checkpoint (no task and characters)";
  if (task) why = `is a ${task} checkpoint${name ? ` (${name})` : ""}, not a text recogniser`;
  else if (head.includes(Buffer.from("classes")) || head.includes(Buffer.from("num_class"))) why = `is an image-classification checkpoint${name ? ` (model_name ${name})` : ""}, not a text recogniser`;
  return [{ path: "--model_save_dir", message: `${file} ${why}`, hint }];
}

const launcher: Launcher = {
  async preflight({ inputDir }) {
    const model = inputDir("model_save_dir");
    if (model) {
      const problems = checkModelDir(model, "ocr-evaluate");
      if (problems.length) return problems;
    }
    const dataset = inputDir("dataset_dir");
    if (!dataset || !existsSync(dataset)) return [];
    const file = statSync(dataset).isFile() ? dataset : existsSync(join(dataset, "sample.txt")) ? join(dataset, "sample.txt") : (splitFile(dataset, "Test") ?? splitFile(dataset, "Validation"));
    if (!file) return [{ path: "--dataset_dir", message: `${dataset} has no Test/sample.txt, Validation/sample.txt or sample.txt`, hint: 'the upstream layout: Test/sample.txt with lines "path label"' }];
    const dict = model && statSync(model).isDirectory() && existsSync(join(model, "char_dict.json")) ? join(model, "char_dict.json") : undefined;
    const chars = dict ? readCharDict(dict) : undefined;
    if (chars && !(chars instanceof Set)) return [chars];
    return checkSampleTxt(file, chars, "the model's characters");
  },
};

export default launcher;
