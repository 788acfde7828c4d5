import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Problem } from "../errors.js";

/**
 * The preflight checks of the OCR components (crnn-ocr, ocr-evaluate,
 * ocr-predict) on the upstream CRNN layout: {Train,Validation,Test}/sample.txt
 * and char_dict.json. Before the run starts (exit 2, nothing created), in the
 * words aves2_runtime.ocr.data uses inside the run, which checks all of it
 * again wherever it runs.
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
