import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { UserError } from "../errors.js";
import { parseYaml } from "../manifest/yaml-source.js";
import type { ParamLayer } from "./resolve.js";

/** `--params file.yaml`: a flat mapping of param name → value. */
export function readParamsFile(file: string, cwd: string): ParamLayer {
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw UserError.of(code === "ENOENT" ? "file not found" : `cannot read it (${code})`, { path: `--params ${file}` });
  }
  const { data } = parseYaml(text, file);
  if (data === null || data === undefined) return { source: file, values: {} };
  if (typeof data !== "object" || Array.isArray(data)) {
    throw UserError.of("must be a mapping of param names to values", { path: file, hint: "e.g.\n  epochs: 3\n  lr: 0.01" });
  }
  return { source: file, values: data as Record<string, unknown> };
}
