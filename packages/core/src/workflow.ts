import type { Backend, Plan } from "./backends/backend.js";
import { createBackend } from "./backends/index.js";
import { findComponent } from "./catalog/catalog.js";
import type { Config } from "./config/config.js";
import { type Problem, UserError } from "./errors.js";
import { type Launcher, loadLauncher } from "./launcher.js";
import { DISTRIBUTE_TYPES, type Component, type DistributeType } from "./manifest/types.js";
import { readParamsFile } from "./params/params-file.js";
import { type ParamLayer, parseAssignments } from "./params/resolve.js";
import type { RunRequest } from "./run/request.js";
import { resolveRun, type RunSpec } from "./run/spec.js";

/** The run flags shared by `run` and `render`, as the CLI parsed them. */
export interface RunFlags {
  readonly set?: readonly string[];
  readonly params?: readonly string[];
  readonly input?: readonly string[];
  readonly output?: readonly string[];
  readonly code?: string;
  readonly backend?: string;
  readonly distribute?: string;
  readonly workers?: string;
  /** `role.key=value`, e.g. `worker.gpu=1`, `ps.count=2`. */
  readonly resource?: readonly string[];
  readonly name?: string;
}

const ROLES = ["worker", "ps"] as const;
const RESOURCE_KEYS = ["count", "cpu", "mem", "gpu"] as const;

/** `--resource worker.cpu=4 --resource ps.count=2` → per-role overrides, checked for shape (values are checked in resolve). */
export function parseResourceFlags(pairs: readonly string[]): RunRequest["resources"] {
  const out: Record<string, Record<string, number>> = {};
  const problems: Problem[] = [];
  for (const [key, raw] of Object.entries(parseAssignments(pairs, "--resource"))) {
    const [role, field, ...rest] = key.split(".");
    if (!(ROLES as readonly string[]).includes(role!) || !(RESOURCE_KEYS as readonly string[]).includes(field!) || rest.length) {
      problems.push({ path: "--resource", message: `"${key}" is not role.key`, hint: `roles: ${ROLES.join(", ")}; keys: ${RESOURCE_KEYS.join(", ")} (e.g. worker.gpu=1)` });
      continue;
    }
    const n = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(n)) {
      problems.push({ path: `--resource ${key}`, message: `"${raw}" is not a number` });
      continue;
    }
    out[role!] = { ...out[role!], [field!]: n };
  }
  if (problems.length > 0) throw new UserError(problems);
  return out as RunRequest["resources"];
}

/** Flags → RunRequest: reads params files, splits name=value pairs, checks the shapes. */
export function requestFromFlags(ref: string, flags: RunFlags, cwd: string, defaultBackend: string): RunRequest {
  const layers: ParamLayer[] = [
    ...(flags.params ?? []).map((f) => readParamsFile(f, cwd)),
    ...(flags.set?.length ? [{ source: "--set", values: parseAssignments(flags.set, "--set") }] : []),
  ];
  let distribute: DistributeType | undefined;
  if (flags.distribute !== undefined) {
    const d = flags.distribute === "none" ? "none" : flags.distribute.toUpperCase();
    if (!(DISTRIBUTE_TYPES as readonly string[]).includes(d)) {
      throw UserError.of(`unknown distribute type "${flags.distribute}"`, { path: "--distribute", hint: `one of ${DISTRIBUTE_TYPES.join(", ")}` });
    }
    distribute = d as DistributeType;
  }
  let workers: number | undefined;
  if (flags.workers !== undefined) {
    workers = Number(flags.workers);
    if (!Number.isInteger(workers) || workers < 1) throw UserError.of(`"${flags.workers}" is not a positive integer`, { path: "--workers" });
  }
  return {
    component: ref,
    params: layers,
    inputs: parseAssignments(flags.input ?? [], "--input"),
    outputs: parseAssignments(flags.output ?? [], "--output"),
    ...(flags.code ? { code: flags.code } : {}),
    ...(distribute ? { distribute } : {}),
    ...(workers !== undefined ? { workers } : {}),
    ...(flags.resource?.length ? { resources: parseResourceFlags(flags.resource) } : {}),
    ...(flags.name ? { name: flags.name } : {}),
    backend: flags.backend ?? defaultBackend,
    cwd,
  };
}

export interface PlannedRun {
  readonly component: Component;
  readonly launcher: Launcher;
  readonly spec: RunSpec;
  readonly backend: Backend;
  readonly plan: Plan;
}

/** load → resolve → plan: everything up to (not including) submit. No side effects. */
export async function planRun(root: string, config: Config, request: RunRequest, libs: readonly string[]): Promise<PlannedRun> {
  const component = findComponent(root, request.component);
  const backend = createBackend(request.backend, config, libs);
  const launcher = await loadLauncher(component);
  const spec = resolveRun(component, request, { ...(launcher.check ? { check: launcher.check } : {}) });
  return { component, launcher, spec, backend, plan: backend.plan(spec) };
}
