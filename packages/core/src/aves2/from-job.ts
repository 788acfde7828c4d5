import { basename, dirname, resolve } from "node:path";
import { type Problem, UserError } from "../errors.js";
import type { Component, DistributeType, ParamDef, ParamType, ParamValue } from "../manifest/types.js";
import { coerceParam } from "../params/coerce.js";
import { didYouMean } from "../catalog/suggest.js";
import type { RunRequest } from "../run/request.js";
import { type DataUri, formatUri } from "@aves2/storage/uri";
import { splitCommandLine } from "./command-line.js";
import { type NfsMount, dataConfToUri } from "./data-conf.js";
import type { DataConf } from "./job-file.js";
import { jobProblem, type ParsedJobFile } from "./parse.js";

export interface JobRequestOptions {
  /** The component named on the command line; wins over the job file's own `component:` and matching. */
  readonly ref?: string;
  /** A catalog component by name or name@version (throws a UserError when unknown). */
  findComponent(ref: string): Component;
  /** Every component of the catalog, to match the job's command against. */
  components(): readonly Component[];
  readonly cwd: string;
  readonly backend: string;
  /** NFS shares mounted here, for NFSPath paths given as local mount paths (read only when needed). */
  nfsMounts(): readonly NfsMount[];
}

/** A job's source_code that is not run: it is the upstream AVES2 code the chosen component replaces. */
export interface ReplacedCode {
  /** The job's source_code as a URI (`s3://aves2/opensource/components/ml/classification/randomForest/`). */
  readonly uri: string;
  /** The component's `upstream` folder that the URI names. */
  readonly upstream: string;
  /** The component that replaces it. */
  readonly component: string;
}

/**
 * The sentence `run` and `render` print (after `job.yaml: `) when a job's
 * source_code was dropped; `code` is what runs instead when --code was given.
 */
export function describeReplacedCode(r: ReplacedCode, code?: string): string {
  return `source_code ${r.uri} is the upstream ${r.upstream}, which ${r.component} replaces: ${code ? `--code ${code}` : "its own code"} runs instead`;
}

export interface JobRequest {
  readonly component: Component;
  readonly request: RunRequest;
  /**
   * How the component was chosen, for people: named on the command line, by
   * `component:`, by the command, by the command plus the upstream folder
   * named by source_code (several components share `python3 run.py`), ad hoc.
   */
  readonly matchedBy: "argument" | "component key" | "command" | "upstream folder" | "ad hoc";
  /** Set when the job's source_code was dropped, so that the component's own code runs; for a notice. */
  readonly replacedCode?: ReplacedCode;
}

/**
 * An AVES2 job file → the component it runs and a RunRequest for it. The
 * component is the one named (on the command line or by `component:`), else
 * the catalog component whose command is the job's `cmd` (the source path
 * breaks a tie: by component name, else by upstream folder), else the job runs
 * as an ad-hoc command. A source_code that names the chosen component's
 * upstream folder is the old code it replaces, and is dropped. Problems name
 * the job file's key path and line.
 */
export function jobToRequest(parsed: ParsedJobFile, opts: JobRequestOptions): JobRequest {
  const { job } = parsed;
  const problems: Problem[] = [];
  const bad = (path: (string | number)[], message: string, hint?: string) => problems.push(jobProblem(parsed, path, message, hint));
  const rs = job.running_spec;

  let argv: string[] = [];
  try {
    argv = splitCommandLine(rs.cmd);
    if (argv.length === 0) bad(["running_spec", "cmd"], "is empty");
  } catch (e) {
    bad(["running_spec", "cmd"], (e as Error).message);
  }

  const uriOf = (conf: DataConf, at: (string | number)[]): DataUri | undefined => {
    const r = dataConfToUri(conf, opts.nfsMounts);
    if ("scheme" in r) return r;
    bad([...at, ...r.at], r.message, r.hint);
    return undefined;
  };
  const code = rs.source_code ? uriOf(rs.source_code, ["running_spec", "source_code"]) : undefined;
  const logDir = rs.log_dir ? uriOf(rs.log_dir, ["running_spec", "log_dir"]) : undefined;
  const inputs = Object.fromEntries(
    rs.input_args.map((a, i) => [a.name, uriOf(a.data_conf, ["running_spec", "input_args", i, "data_conf"])] as const).filter((e): e is [string, DataUri] => e[1] !== undefined),
  );
  const outputs = Object.fromEntries(
    rs.output_args.map((a, i) => [a.name, uriOf(a.data_conf, ["running_spec", "output_args", i, "data_conf"])] as const).filter((e): e is [string, DataUri] => e[1] !== undefined),
  );

  let component: Component | undefined;
  let matchedBy: JobRequest["matchedBy"] = "ad hoc";
  const byRef = (ref: string, path: (string | number)[] | undefined) => {
    try {
      return opts.findComponent(ref);
    } catch (e) {
      if (!(e instanceof UserError) || !path) throw e;
      for (const p of e.problems) bad(path, p.message, p.hint);
      return undefined;
    }
  };
  if (opts.ref) {
    component = byRef(opts.ref, undefined);
    matchedBy = "argument";
  } else if (job.component) {
    component = byRef(job.component, ["component"]);
    matchedBy = "component key";
  } else if (argv.length > 0) {
    const match = matchByCommand(argv, code, opts.components(), (names) =>
      bad(["running_spec", "cmd"], `is the command of several components: ${names.join(", ")}`, `add component: <name> to choose one`),
    );
    if (match) ({ component, matchedBy } = match);
  }
  if (problems.length > 0) throw new UserError(problems);

  if (!component) {
    if (!code) bad(["running_spec", "source_code"], "is required: this job runs no catalog component, so its code must come from storage", "add source_code, or component: <name> to run a catalog component");
    component = adHocComponent(parsed, argv, job.distribute_type === null ? "none" : job.distribute_type);
  } else {
    checkAgainstComponent(parsed, component, argv, matchedBy, bad);
  }
  if (problems.length > 0) throw new UserError(problems);

  // the upstream's TF1 / old-sklearn code would run with this component's params: the component's own code runs
  const replacedCode = code && component.upstream && namesUpstream(code, component.upstream) ? { uri: formatUri(code), upstream: component.upstream, component: component.name } : undefined;
  const distribute: DistributeType = job.distribute_type ?? "none";
  const request: RunRequest = {
    component: opts.ref ?? (component.adHoc ? component.name : (job.component ?? component.name)),
    params: rs.normal_args.length ? [{ source: parsed.file, values: Object.fromEntries(rs.normal_args.map((a) => [a.name, a.value])) }] : [],
    inputs: Object.fromEntries(Object.entries(inputs).map(([k, u]) => [k, formatUri(u)])),
    outputs: Object.fromEntries(Object.entries(outputs).map(([k, u]) => [k, formatUri(u)])),
    ...(code && !replacedCode ? { code: formatUri(code) } : {}),
    resources: { worker: job.resource_spec.worker, ...(job.resource_spec.ps ? { ps: job.resource_spec.ps } : {}) },
    distribute,
    backend: opts.backend,
    ...(job.job_name ? { name: job.job_name } : {}),
    image: job.image,
    ...(rs.envs.length ? { env: rs.envs } : {}),
    ...(job.namespace ? { namespace: job.namespace } : {}),
    ...(logDir ? { logDir: formatUri(logDir) } : {}),
    aves2: {
      ...(job.debug ? { debug: true } : {}),
      ...(job.need_report !== undefined ? { needReport: job.need_report } : {}),
      ...(job.component && !opts.ref ? { componentKey: job.component } : {}),
    },
    explicitInputs: true,
    cwd: opts.cwd,
  };
  return { component, request, matchedBy, ...(replacedCode ? { replacedCode } : {}) };
}

function sameArgv(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((w, i) => w === b[i]);
}

type Match = { component: Component; matchedBy: "command" | "upstream folder" };

function matchByCommand(argv: string[], code: DataUri | undefined, components: readonly Component[], several: (names: string[]) => void): Match | undefined {
  const hits = components.filter((c) => sameArgv(c.command, argv));
  if (hits.length <= 1) return hits[0] && { component: hits[0], matchedBy: "command" };
  // several components share a command line (`python3 train.py`): the code's path usually names the one
  const segments = code ? formatUri(code).split("/").filter(Boolean) : [];
  const named = hits.filter((c) => segments.some((s) => s === c.name || s.startsWith(`${c.name}-`) || s.startsWith(`${c.name}@`)));
  if (named.length === 1) return { component: named[0]!, matchedBy: "command" };
  // or the upstream AVES2 folder it replaces (all upstream ml entries are `python3 run.py`)
  const replacing = code ? hits.filter((c) => c.upstream && namesUpstream(code, c.upstream)) : [];
  if (replacing.length === 1) return { component: replacing[0]!, matchedBy: "upstream folder" };
  several(hits.map((c) => c.name));
  return undefined;
}

/**
 * Whether the code's path names the upstream folder: its last two segments
 * (`classification/randomForest`), consecutive and in any case, among the
 * path's segments. Two, because the upstream has randomForest under both
 * classification and regression, while the prefix above `ml/` is wherever
 * the job's author copied the upstream repository to.
 */
function namesUpstream(code: DataUri, upstream: string): boolean {
  const segments = formatUri(code).toLowerCase().split("/").filter(Boolean);
  const tail = upstream.toLowerCase().split("/").filter(Boolean).slice(-2);
  if (tail.length === 0) return false;
  for (let i = 0; i + tail.length <= segments.length; i++) {
    if (tail.every((t, j) => segments[i + j] === t)) return true;
  }
  return false;
}

function checkAgainstComponent(
  parsed: ParsedJobFile,
  c: Component,
  argv: string[],
  matchedBy: JobRequest["matchedBy"],
  bad: (path: (string | number)[], message: string, hint?: string) => void,
): void {
  const { job } = parsed;
  const rs = job.running_spec;
  if (matchedBy !== "command" && matchedBy !== "upstream folder" && argv.length && !sameArgv(c.command, argv)) {
    // a job for another program: its args would only add noise to this one problem
    bad(["running_spec", "cmd"], `"${rs.cmd}" is not the command of ${c.name} (${c.command.join(" ")})`, `write cmd: "${c.command.join(" ")}", or drop component: to run it as an ad-hoc command`);
    return;
  }
  const distribute: DistributeType = job.distribute_type ?? "none";
  if (!c.distribute.includes(distribute)) {
    bad(["distribute_type"], `${c.name} does not support ${job.distribute_type ?? "Null"}`, `it supports: ${c.distribute.map((d) => (d === "none" ? "Null" : d)).join(", ")}`);
  }
  const params = new Map(c.params.map((p) => [p.name, p]));
  rs.normal_args.forEach((a, i) => {
    const def = params.get(a.name);
    if (!def) {
      bad(["running_spec", "normal_args", i, "name"], `${c.name} has no param "${a.name}"`, didYouMean(a.name, [...params.keys()]) ?? `params are: ${[...params.keys()].join(", ")}`);
      return;
    }
    const r = coerceParam(def, a.value);
    if (!r.ok) bad(["running_spec", "normal_args", i, "value"], r.message);
  });
  for (const [list, defs] of [["input_args", c.inputs], ["output_args", c.outputs]] as const) {
    const names = defs.map((d) => d.name);
    rs[list].forEach((a, i) => {
      if (!names.includes(a.name)) {
        const kind = list === "input_args" ? "input" : "output";
        bad(["running_spec", list, i, "name"], `${c.name} has no ${kind} "${a.name}"`, didYouMean(a.name, names) ?? (names.length ? `${kind}s are: ${names.join(", ")}` : `it has no ${kind}s`));
      }
    });
  }
  const given = new Set(rs.input_args.map((a) => a.name));
  for (const i of c.inputs) if (i.required && !given.has(i.name)) bad(["running_spec", "input_args"], `${c.name} needs the input ${i.name}`, `add - name: ${i.name} with its data_conf`);
}

function paramType(v: ParamValue): ParamType {
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return "string";
}

/** A job whose command is no catalog component's: its args become params of the types their values have. */
function adHocComponent(parsed: ParsedJobFile, argv: string[], distribute: DistributeType): Component {
  const { job } = parsed;
  const slug = job.job_name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40).replace(/-+$/, "");
  const file = resolve(parsed.file);
  const params: ParamDef[] = job.running_spec.normal_args.map((a) => ({ name: a.name, type: paramType(a.value) }));
  return {
    name: /^[a-z]/.test(slug) ? slug : `job${slug ? `-${slug}` : ""}`,
    version: "0.0.0",
    title: job.job_name || argv.join(" "),
    description: `the command of ${basename(file)}`,
    category: "ad-hoc",
    framework: "generic",
    images: {},
    command: argv,
    dir: dirname(file),
    manifestPath: file,
    sourceDir: dirname(file),
    params,
    inputs: job.running_spec.input_args.map((a) => ({ name: a.name })),
    outputs: job.running_spec.output_args.map((a) => ({ name: a.name })),
    resources: { worker: job.resource_spec.worker, ...(job.resource_spec.ps ? { ps: job.resource_spec.ps } : {}) },
    distribute: distribute === "none" ? ["none"] : ["none", distribute],
    runtime: {},
    adHoc: true,
  };
}
