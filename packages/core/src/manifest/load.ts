import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, isAbsolute, join, resolve } from "node:path";
import { type Problem, UserError } from "../errors.js";
import { isNone } from "../params/coerce.js";
import { deepFreeze } from "../run/freeze.js";
import { isLocalPath } from "@aves2/storage/uri";
import { checkSample, type RawSample } from "./sample.js";
import { formatPath } from "../key-path.js";
import { describeAjvError, manifestValidator } from "./schema.js";
import type { Component, InputDef, ParamDef, RoleResources, SampleCheck } from "./types.js";
import { parseYaml, type YamlSource } from "./yaml-source.js";

export const MANIFEST_FILE = "component.yaml";

/**
 * Reads and validates `<dir>/component.yaml`. Every problem found is reported
 * at once, each with its key path and line.
 */
export function loadComponent(dir: string): Component {
  const absDir = resolve(dir);
  const manifestPath = join(absDir, MANIFEST_FILE);
  if (!existsSync(manifestPath)) {
    throw UserError.of(`no ${MANIFEST_FILE} here`, { path: absDir, hint: "a component folder holds a component.yaml" });
  }
  const src = parseYaml(readFileSync(manifestPath, "utf8"), manifestPath);
  const problems = validateManifest(src, manifestPath);
  if (problems.length > 0) throw new UserError(problems);

  const raw = src.data as RawManifest;
  const version = readVersion(absDir, manifestPath);
  const sourceDir = resolve(absDir, raw.source);
  const { problems: semantic, sample } = checkSemantics(raw, src, manifestPath, absDir, sourceDir);
  if (semantic.length > 0) throw new UserError(semantic);

  const launcher = join(absDir, "dist", "launcher.js");
  const component: Component = {
    name: raw.name,
    version,
    title: raw.title,
    description: raw.description.trim(),
    category: raw.category,
    framework: raw.framework,
    ...(raw.upstream !== undefined ? { upstream: raw.upstream } : {}),
    images: raw.images ?? {},
    command: raw.command,
    dir: absDir,
    manifestPath,
    sourceDir,
    params: raw.params ?? [],
    inputs: (raw.inputs ?? []).map((i) => withAbsoluteDefault(i, absDir)),
    outputs: raw.outputs ?? [],
    resources: {
      worker: withGpu(raw.resources?.worker ?? { count: 1, cpu: 1, mem: 2 }),
      ...(raw.resources?.ps ? { ps: withGpu(raw.resources.ps) } : {}),
    },
    distribute: raw.distribute ?? ["none"],
    runtime: raw.runtime?.python
      ? { python: { modules: raw.runtime.python.modules ?? [], packages: raw.runtime.python.packages ?? {} } }
      : {},
    ...(sample ? { sample } : {}),
    ...(existsSync(launcher) ? { launcherPath: launcher } : {}),
  };
  return deepFreeze(component);
}

type RawManifest = Omit<Component, "version" | "dir" | "manifestPath" | "sourceDir" | "launcherPath" | "resources" | "runtime" | "sample"> & {
  source: string;
  sample?: RawSample;
  resources?: { worker?: Omit<RoleResources, "gpu"> & { gpu?: number }; ps?: Omit<RoleResources, "gpu"> & { gpu?: number } };
  runtime?: { python?: { modules?: string[]; packages?: Record<string, string> } };
};

function withGpu(r: Omit<RoleResources, "gpu"> & { gpu?: number }): RoleResources {
  return { count: r.count, cpu: r.cpu, mem: r.mem, gpu: r.gpu ?? 0 };
}

function withAbsoluteDefault(input: InputDef, dir: string): InputDef {
  if (input.default === undefined || !isLocalPath(input.default) || isAbsolute(input.default)) return input;
  return { ...input, default: resolve(dir, input.default) };
}

function validateManifest(src: YamlSource, file: string): Problem[] {
  if (src.data === null || typeof src.data !== "object" || Array.isArray(src.data)) {
    return [{ path: file, line: 1, message: "must be a YAML mapping (name, title, command, params, ...)" }];
  }
  const validate = manifestValidator();
  if (validate(src.data)) return [];
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const err of validate.errors ?? []) {
    const d = describeAjvError(err);
    if (!d) continue;
    const key = `${formatPath(d.path)}: ${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push({ path: file, line: src.lineOf(d.path), message: d.path.length ? `${formatPath(d.path)}: ${d.message}` : d.message });
  }
  return problems;
}

function readVersion(dir: string, manifestPath: string): string {
  const pkg = join(dir, "package.json");
  if (!existsSync(pkg)) return "0.0.0";
  try {
    const v = (JSON.parse(readFileSync(pkg, "utf8")) as { version?: unknown }).version;
    return typeof v === "string" ? v : "0.0.0";
  } catch {
    throw UserError.of("package.json is not valid JSON", { path: pkg, hint: `it gives the version of ${manifestPath}` });
  }
}

/** Rules a JSON Schema cannot express: uniqueness across lists, defaults within their own bounds, the sample's params and inputs. */
function checkSemantics(raw: RawManifest, src: YamlSource, file: string, dir: string, sourceDir: string): { problems: Problem[]; sample?: SampleCheck } {
  const problems: Problem[] = [];
  const at = (path: (string | number)[], message: string, hint?: string) =>
    problems.push({ path: file, line: src.lineOf(path), message: `${formatPath(path)}: ${message}`, ...(hint ? { hint } : {}) });

  if (raw.name !== basename(dir)) at(["name"], `"${raw.name}" differs from the folder name "${basename(dir)}"`, "rename one of them");
  if (!existsSync(sourceDir) || !statSync(sourceDir).isDirectory()) at(["source"], `folder "${raw.source}" does not exist`);

  const names = new Map<string, string>();
  for (const list of ["params", "inputs", "outputs"] as const) {
    (raw[list] ?? []).forEach((item, i) => {
      const other = names.get(item.name);
      if (other) at([list, i, "name"], `"${item.name}" is already used in ${other}`, "each --name is passed once");
      else names.set(item.name, list);
    });
  }
  (raw.params ?? []).forEach((p, i) => {
    checkParamDef(p, (path, msg) => at(["params", i, ...path], msg));
  });
  if (raw.distribute?.includes("TF_PS") && !raw.resources?.ps) at(["resources"], "TF_PS needs a ps role", "add resources.ps");
  if (raw.upstream?.split("/").some((s) => s === "." || s === "..")) at(["upstream"], `"${raw.upstream}" has a . or .. segment`, "name the folder as it is under the upstream's src/, e.g. ml/classification/randomForest");
  const sample = raw.sample ? checkSample(raw.sample, raw.params ?? [], raw.inputs ?? [], at) : undefined;
  return { problems, ...(sample ? { sample } : {}) };
}

function checkParamDef(p: ParamDef, at: (path: string[], msg: string) => void): void {
  if (p.min !== undefined && p.max !== undefined && p.min > p.max) at(["min"], `min ${p.min} is above max ${p.max}`);
  if ((p.min !== undefined || p.max !== undefined) && p.type !== "integer" && p.type !== "number") {
    at(["type"], `min/max apply to integer and number params, not ${p.type}`);
  }
  if (p.type !== "enum" && p.values) at(["values"], `values apply to enum params, not ${p.type}`);
  if (p.default === undefined) return;
  const d = p.default;
  // a nullable param may default to None, which no type check below would accept
  if (p.nullable && isNone(d)) return;
  const wrongType =
    (p.type === "integer" && !Number.isInteger(d)) ||
    (p.type === "number" && typeof d !== "number") ||
    (p.type === "boolean" && typeof d !== "boolean") ||
    (p.type === "string" && typeof d !== "string");
  if (wrongType) at(["default"], `${JSON.stringify(d)} is not a ${p.type}`);
  if (p.type === "enum" && !p.values?.includes(d as string | number)) at(["default"], `${JSON.stringify(d)} is not one of the values`);
  if (typeof d === "number" && p.min !== undefined && d < p.min) at(["default"], `${d} is below min ${p.min}`);
  if (typeof d === "number" && p.max !== undefined && d > p.max) at(["default"], `${d} is above max ${p.max}`);
}
