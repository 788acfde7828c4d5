import { isRemoteBackend } from "../backends/registry.js";
import { didYouMean } from "../catalog/suggest.js";
import { type Problem, UserError } from "../errors.js";
import type { Component, DistributeType, Resources, RoleResources } from "../manifest/types.js";
import { type ResolvedParam, resolveParams } from "../params/resolve.js";
import { type DataUri, formatUri, parseUri } from "@aves2/storage/uri";
import { deepFreeze } from "./freeze.js";
import type { RunRequest } from "./request.js";
import { isRunRef } from "./run-ref.js";
import { makeRunId } from "./run-id.js";

export interface InputBinding {
  readonly name: string;
  readonly uri: DataUri;
  /** `default` (the manifest's), `--input`, or `run:<run-id>/<output>` (another run's output). */
  readonly from: string;
}

export interface OutputBinding {
  readonly name: string;
  /** Where outputs are saved after the run; absent = kept in the run's own folder. */
  readonly uri?: DataUri;
}

export interface EnvVar {
  readonly name: string;
  readonly value: string;
}

/** AVES2 job fields that mean nothing to other backends; kept so that a job file round-trips. */
export interface JobSettings {
  /** AVES2 keeps a debug job's pods after it ends. */
  readonly debug?: boolean;
  readonly needReport?: boolean;
  /** The job file's `component:` key (`name` or `name@version`), written back out as it was. */
  readonly componentKey?: string;
}

/** A run, typed, complete and validated: everything a backend needs to plan it. */
export interface RunSpec {
  readonly runId: string;
  readonly name: string;
  readonly component: Component;
  readonly params: readonly ResolvedParam[];
  readonly inputs: readonly InputBinding[];
  readonly outputs: readonly OutputBinding[];
  readonly code: DataUri;
  readonly resources: Resources;
  readonly distribute: DistributeType;
  readonly createdAt: string;
  /** The container image asked for; backends that run images otherwise take the component's. */
  readonly image?: string;
  readonly env?: readonly EnvVar[];
  readonly namespace?: string;
  /** Where the backend saves the run's logs, when asked to. */
  readonly logDir?: DataUri;
  readonly aves2?: JobSettings;
}

export interface ResolveOptions {
  readonly now?: Date;
  readonly random?: () => number;
  /** Cross-field rules from the component's launcher (pure). */
  readonly check?: (spec: RunSpec) => readonly Problem[] | undefined;
}

/**
 * (Component, RunRequest) → RunSpec. Pure: reads no files, starts nothing.
 * Every problem in the request is reported at once.
 */
export function resolveRun(component: Component, request: RunRequest, opts: ResolveOptions = {}): RunSpec {
  const problems: Problem[] = [];
  const collect = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch (e) {
      if (e instanceof UserError) problems.push(...e.problems);
      else throw e;
      return undefined;
    }
  };

  const params = collect(() => resolveParams(component.params, request.params)) ?? [];
  const inputs = bindInputs(component, request, problems, collect);
  const outputs = bindOutputs(component, request, problems, collect);
  // a published version runs off-machine from its published code folder; locally, from the verified cache
  const code = request.code
    ? collect(() => parseUri(request.code!, "--code", request.cwd))
    : component.publishedCode && isRemoteBackend(request.backend)
      ? collect(() => parseUri(component.publishedCode!, "published code", request.cwd))
      : ({ scheme: "file", path: component.sourceDir } as const);
  const distribute = request.distribute ?? "none";
  if (!component.distribute.includes(distribute)) {
    problems.push({
      path: "--distribute",
      message: `${component.name} does not support ${distribute}`,
      hint: `it supports: ${component.distribute.join(", ")}`,
    });
  }
  const resources = collect(() => mergeResources(component.resources, request, distribute));
  const logDir = request.logDir ? collect(() => parseUri(request.logDir!, "--log-dir", request.cwd)) : undefined;
  checkEnv(request.env ?? [], problems);

  if (problems.length > 0) throw new UserError(problems);
  const now = opts.now ?? new Date();
  const spec: RunSpec = {
    runId: makeRunId(component.name, now, opts.random),
    name: request.name ?? component.title,
    component,
    params,
    inputs,
    outputs,
    code: code!,
    resources: resources!,
    distribute,
    createdAt: now.toISOString(),
    ...(request.image ? { image: request.image } : {}),
    ...(request.env?.length ? { env: request.env } : {}),
    ...(request.namespace ? { namespace: request.namespace } : {}),
    ...(logDir ? { logDir } : {}),
    ...(request.aves2 && Object.keys(request.aves2).length ? { aves2: request.aves2 } : {}),
  };
  const extra = opts.check?.(spec) ?? [];
  if (extra.length > 0) throw new UserError(extra);
  return deepFreeze(spec);
}

function unknownNames(kind: "input" | "output", given: Record<string, string>, known: readonly string[], problems: Problem[]): void {
  for (const name of Object.keys(given)) {
    if (known.includes(name)) continue;
    problems.push({
      path: `--${kind} ${name}`,
      message: `unknown ${kind} "${name}"`,
      hint: didYouMean(name, known) ?? (known.length ? `${kind}s are: ${known.join(", ")}` : `this component has no ${kind}s`),
    });
  }
}

function bindInputs(c: Component, r: RunRequest, problems: Problem[], collect: <T>(f: () => T) => T | undefined): InputBinding[] {
  unknownNames("input", { ...r.inputs }, c.inputs.map((i) => i.name), problems);
  const out: InputBinding[] = [];
  for (const def of c.inputs) {
    const given = r.inputs[def.name];
    // `--input name=` (empty) leaves an optional input unbound, default or not
    const raw = given === undefined ? (r.explicitInputs ? undefined : def.default) : given.trim() === "" && !def.required ? undefined : given;
    if (raw === undefined) {
      if (def.required) problems.push({ path: `--input ${def.name}`, message: "is a required input and was not given", hint: `add --input ${def.name}=<path or s3://...>` });
      continue;
    }
    const uri = collect(() => parseUri(raw, `--input ${def.name}`, r.cwd));
    if (uri) out.push({ name: def.name, uri, from: given === undefined ? "default" : (r.inputSources?.[def.name] ?? "--input") });
  }
  return out;
}

function bindOutputs(c: Component, r: RunRequest, problems: Problem[], collect: <T>(f: () => T) => T | undefined): OutputBinding[] {
  unknownNames("output", { ...r.outputs }, c.outputs.map((o) => o.name), problems);
  return c.outputs.map((def) => {
    const raw = r.outputs[def.name];
    const uri = raw === undefined ? undefined : collect(() => parseUri(raw, `--output ${def.name}`, r.cwd));
    return uri ? { name: def.name, uri } : { name: def.name };
  });
}

const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkEnv(env: readonly EnvVar[], problems: Problem[]): void {
  const seen = new Set<string>();
  for (const e of env) {
    if (!ENV_NAME_RE.test(e.name)) problems.push({ path: `--env ${e.name}`, message: "is not a valid environment variable name", hint: "letters, digits and _, not starting with a digit" });
    else if (seen.has(e.name)) problems.push({ path: `--env ${e.name}`, message: "is given twice" });
    seen.add(e.name);
  }
}

function mergeResources(base: Resources, r: RunRequest, distribute: DistributeType): Resources {
  const worker: RoleResources = { ...base.worker, ...r.resources?.worker, ...(r.workers !== undefined ? { count: r.workers } : {}) };
  const psGiven = r.resources?.ps;
  const ps = base.ps || psGiven ? ({ count: 1, cpu: 1, mem: 2, gpu: 0, ...base.ps, ...psGiven } as RoleResources) : undefined;
  const problems: Problem[] = [];
  for (const [role, res] of [["worker", worker], ["ps", ps]] as const) {
    if (!res) continue;
    if (!Number.isInteger(res.count) || res.count < 1) problems.push({ path: `${role}.count`, message: `${res.count} is not a positive integer` });
    if (!(res.cpu > 0)) problems.push({ path: `${role}.cpu`, message: `${res.cpu} is not a positive number` });
    if (!(res.mem > 0)) problems.push({ path: `${role}.mem`, message: `${res.mem} is not a positive number of GiB` });
    if (!Number.isInteger(res.gpu) || res.gpu < 0) problems.push({ path: `${role}.gpu`, message: `${res.gpu} is not a GPU count` });
  }
  if (distribute === "none" && worker.count !== 1) {
    problems.push({ path: "--workers", message: `${worker.count} workers need a distribute type`, hint: "add --distribute PYTORCH_DDP (if the component supports it)" });
  }
  if (distribute === "TF_PS" && !ps) problems.push({ path: "resources.ps", message: "TF_PS needs a ps role", hint: "set ps resources" });
  if (problems.length > 0) throw new UserError(problems);
  return ps && distribute === "TF_PS" ? { worker, ps } : { worker };
}

/** The spec as plain JSON for run records and plans: no functions, no absolute internals beyond paths. */
export function specToJSON(spec: RunSpec) {
  return {
    runId: spec.runId,
    name: spec.name,
    component: { name: spec.component.name, version: spec.component.version, dir: spec.component.dir, ...(spec.component.adHoc ? { adHoc: true } : {}) },
    params: Object.fromEntries(spec.params.map((p) => [p.name, p.value])),
    inputs: Object.fromEntries(spec.inputs.map((i) => [i.name, formatUri(i.uri)])),
    // provenance of inputs bound to another run's output, so records and plans show which run
    ...inputSources(spec.inputs),
    outputs: Object.fromEntries(spec.outputs.filter((o) => o.uri).map((o) => [o.name, formatUri(o.uri!)])),
    code: formatUri(spec.code),
    resources: spec.resources,
    distribute: spec.distribute,
    createdAt: spec.createdAt,
    ...(spec.image ? { image: spec.image } : {}),
    ...(spec.env ? { env: Object.fromEntries(spec.env.map((e) => [e.name, e.value])) } : {}),
    ...(spec.namespace ? { namespace: spec.namespace } : {}),
    ...(spec.logDir ? { logDir: formatUri(spec.logDir) } : {}),
  };
}
export type SpecJSON = ReturnType<typeof specToJSON>;

/** `# input model_dir: s3://... (from run:<run-id>/<output>)` per input bound to another run's output: render prints them above a job file or manifest. */
export function inputSourceComments(spec: SpecJSON): string[] {
  return Object.entries(spec.inputSources ?? {}).map(([name, from]) => `# input ${name}: ${spec.inputs[name]} (from ${from})`);
}

function inputSources(inputs: readonly InputBinding[]): { inputSources?: Record<string, string> } {
  const chained = inputs.filter((i) => isRunRef(i.from));
  return chained.length ? { inputSources: Object.fromEntries(chained.map((i) => [i.name, i.from])) } : {};
}
