import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseNfsMounts } from "./aves2/data-conf.js";
import { describeReplacedCode, type JobRequest, jobToRequest } from "./aves2/from-job.js";
import { parseJobFile } from "./aves2/parse.js";
import type { Backend, Plan } from "./backends/backend.js";
import { type BackendContext, createBackend } from "./backends/index.js";
import { backendOptions } from "./backends/registry.js";
import { COMPONENT_SCOPE } from "./bundle/bundle.js";
import { findComponent, loadCatalog } from "./catalog/catalog.js";
import { type ComponentSource, registrySource, resolveComponent, searchRegistry } from "./catalog/remote-catalog.js";
import { S3Catalog, s3IndexSource } from "./publish/s3-bundles.js";
import { registryConfig } from "./registry/npm-config.js";
import { NpmRegistry } from "./registry/npm-registry.js";
import { type Problem, UserError } from "./errors.js";
import { type Launcher, loadLauncher } from "./launcher.js";
import { DISTRIBUTE_TYPES, type Component, type DistributeType } from "./manifest/types.js";
import { loadConfig } from "./config/config.js";
import { s3Settings } from "@aves2/storage/config";
import { readParamsFile } from "./params/params-file.js";
import { type ParamLayer, parseAssignments } from "./params/resolve.js";
import type { RunRequest } from "./run/request.js";
import { resolveRunRefs } from "./run/run-refs.js";
import { type EnvVar, resolveRun, type RunSpec } from "./run/spec.js";

/**
 * The run flags shared by `run` and `render`, as the CLI parsed them; the
 * flags of the options backends declare come under their flag keys
 * (`--k8s-engine` as `k8sEngine`).
 */
export interface RunFlags extends ComponentSourceFlags {
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
  /** `-f job.yaml`: an AVES2 job file; the other flags then change what it says. */
  readonly file?: string;
  readonly image?: string;
  readonly namespace?: string;
  /** `NAME=value`, repeatable. */
  readonly env?: readonly string[];
  readonly aves2Host?: string;
  /** The backends' declared options (`timeout`, `k8sEngine`, `debugJob`, ...), as given. */
  readonly [declaredOption: string]: unknown;
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
  const backend = flags.backend ?? defaultBackend;
  const options = backendOptions(backend, flags);
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
    ...(flags.image ? { image: flags.image } : {}),
    ...(flags.namespace ? { namespace: flags.namespace } : {}),
    ...(flags.env?.length ? { env: Object.entries(parseAssignments(flags.env, "--env")).map(([name, value]) => ({ name, value })) } : {}),
    ...(Object.keys(options).length ? { options } : {}),
    backend,
    cwd,
  };
}

/** The job file's request, changed by whatever flags were also given (they win). */
function overlay(job: RunRequest, flags: RunRequest): RunRequest {
  const env = new Map<string, EnvVar>((job.env ?? []).map((e) => [e.name, e]));
  for (const e of flags.env ?? []) env.set(e.name, e);
  const resources = {
    worker: { ...job.resources?.worker, ...flags.resources?.worker },
    ...(job.resources?.ps || flags.resources?.ps ? { ps: { ...job.resources?.ps, ...flags.resources?.ps } } : {}),
  };
  return {
    ...job,
    params: [...job.params, ...flags.params],
    inputs: { ...job.inputs, ...flags.inputs },
    outputs: { ...job.outputs, ...flags.outputs },
    ...(flags.code ? { code: flags.code } : {}),
    resources,
    ...(flags.distribute ? { distribute: flags.distribute } : {}),
    ...(flags.workers !== undefined ? { workers: flags.workers } : {}),
    ...(flags.name ? { name: flags.name } : {}),
    ...(flags.image ? { image: flags.image } : {}),
    ...(flags.namespace ? { namespace: flags.namespace } : {}),
    ...(env.size ? { env: [...env.values()] } : {}),
    ...(flags.options ? { options: flags.options } : {}),
    backend: flags.backend,
  };
}

/** Reads `-f job.yaml` (an AVES2 job file) into the component it runs and a request. */
export function requestFromJobFile(root: string, file: string, ref: string | undefined, flags: RunFlags, cwd: string, defaultBackend: string): JobRequest {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, file), "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw UserError.of(code === "ENOENT" ? "file not found" : `cannot read it (${code})`, { path: `-f ${file}` });
  }
  const parsed = parseJobFile(text, file);
  const fromJob = jobToRequest(parsed, {
    ...(ref ? { ref } : {}),
    findComponent: (r) => findComponent(root, r),
    components: () => loadCatalog(root).flatMap((e) => (e.component ? [e.component] : [])),
    cwd,
    backend: flags.backend ?? defaultBackend,
    nfsMounts: () => {
      try {
        return parseNfsMounts(readFileSync("/proc/mounts", "utf8"));
      } catch {
        return [];
      }
    },
  });
  const fromFlags = requestFromFlags(fromJob.request.component, flags, cwd, defaultBackend);
  return { ...fromJob, request: overlay(fromJob.request, fromFlags) };
}

export interface RunContext extends BackendContext {
  /** The catalog root. */
  readonly root: string;
  /** Relative paths on the command line are relative to this. */
  readonly cwd: string;
}

/** `run`/`render` arguments → a planned run: a component by name, or an AVES2 job file (`-f`), or both. */
export async function prepareRun(
  ctx: RunContext,
  ref: string | undefined,
  flags: RunFlags,
): Promise<PlannedRun & { readonly matchedBy?: JobRequest["matchedBy"]; readonly replacedCode?: JobRequest["replacedCode"] }> {
  const backend = ctx.config.backend.value;
  const withHost: BackendContext = flags.aves2Host ? { ...ctx, aves2: { ...ctx.aves2, host: flags.aves2Host } } : ctx;
  if (flags.file) {
    const { component, request, matchedBy, replacedCode } = requestFromJobFile(ctx.root, flags.file, ref, flags, ctx.cwd, backend);
    try {
      return { ...(await planRun(ctx.root, withHost, request, component)), matchedBy, ...(replacedCode ? { replacedCode } : {}) };
    } catch (e) {
      // a problem with the code (an AVES2 job cannot read the bundled code): say why the job file's own code is not used
      if (replacedCode && !flags.code && e instanceof UserError && e.problems.some((p) => p.path === "--code")) {
        throw new UserError([...e.problems, { path: flags.file, message: describeReplacedCode(replacedCode) }]);
      }
      throw e;
    }
  }
  if (!ref) throw UserError.of("name a component, or give an AVES2 job file with -f job.yaml", { hint: "`component list` shows the components" });
  return planRun(ctx.root, withHost, requestFromFlags(ref, flags, ctx.cwd, backend), undefined, flags);
}

/** Where `name@version` comes from when the local catalog does not have it. */
export interface ComponentSourceFlags {
  /** An npm registry URL (default: npm's config, as npm reads it). */
  readonly registry?: string;
  /** A published catalog in object storage: `s3://bucket/components/` (its index.json). */
  readonly from?: string;
}

/** The registry (npm conventions) or, with `--from s3://...`, the catalog index in object storage. */
export function componentSource(root: string, flags: ComponentSourceFlags): ComponentSource {
  if (flags.from) return s3IndexSource(flags.from, root);
  return registrySource(new NpmRegistry(registryConfig({ root, scope: COMPONENT_SCOPE, ...(flags.registry ? { flag: flags.registry } : {}) })));
}

export interface PlannedRun {
  readonly component: Component;
  readonly launcher: Launcher;
  readonly spec: RunSpec;
  readonly backend: Backend;
  readonly plan: Plan;
}

/**
 * load → resolve → plan: everything up to (not including) submit. No side
 * effects (`run:` inputs read the run records; nothing is written).
 * `component` is given when it does not come from the catalog by name (an
 * AVES2 job file's ad-hoc command, or one it matched).
 */
export async function planRun(root: string, ctx: BackendContext, request: RunRequest, given?: Component, from?: ComponentSourceFlags): Promise<PlannedRun> {
  const component = given ?? (await resolveComponent(root, request.component, () => componentSource(root, from ?? {})));
  const backend = createBackend(request.backend, ctx);
  // `--input x=run:<run>/<output>` reads the run records: done here, so that resolve stays pure
  const resolved = resolveRunRefs(request, { runsDir: ctx.config.runsDir.value, backend: backend.name, component: component.name });
  const launcher = await loadLauncher(component);
  const spec = resolveRun(component, resolved, { ...(launcher.check ? { check: launcher.check } : {}) });
  const options = resolved.options ?? {};
  const target = await backend.prepare(spec, options, { offline: ctx.offline ?? false });
  return { component, launcher, spec, backend, plan: backend.plan(spec, target, options) };
}

/** Published components matching `text`: the registry's search, or the entries of an S3 catalog's index. */
export async function remoteListing(root: string, text: string, flags: ComponentSourceFlags): Promise<{ name: string; version: string; description?: string }[]> {
  if (!flags.from) {
    const registry = new NpmRegistry(registryConfig({ root, scope: COMPONENT_SCOPE, ...(flags.registry ? { flag: flags.registry } : {}) }));
    return searchRegistry(registry, text);
  }
  const catalog = new S3Catalog(flags.from, s3Settings(loadConfig(root).s3), "--from");
  const index = await catalog.index();
  if (!index) throw UserError.of(`no catalog at ${catalog.label} (no index.json)`, { path: "--from", hint: "`component publish --to s3://...` writes it" });
  const needle = text.toLowerCase();
  return Object.values(index.components)
    .map((c) => Object.values(c.versions).sort((a, b) => b.version.localeCompare(a.version, undefined, { numeric: true }))[0]!)
    .filter((v) => !needle || [v.name, v.title, v.description, v.category].some((s) => s.toLowerCase().includes(needle)))
    .map((v) => ({ name: v.name, version: v.version, description: v.title }));
}
