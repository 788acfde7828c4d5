import { closest } from "../catalog/suggest.js";
import { type Problem, UserError } from "../errors.js";
import { formatPath } from "../key-path.js";
import type { ParamValue } from "../manifest/types.js";
import { parseYaml } from "../manifest/yaml-source.js";
import {
  type Aves2JobFile,
  type DataArg,
  type DataConf,
  type JobDistributeType,
  type JobEnv,
  type JobRole,
  type NormalArg,
  RUNNING_SPEC_KEYS,
  rolesFor,
  STORAGE_MODES,
  type StorageMode,
  TOP_KEYS,
} from "./job-file.js";

type Path = (string | number)[];

export interface ParsedJobFile {
  readonly job: Aves2JobFile;
  readonly file: string;
  /** Line of a key path, for problems found later (matching the component, storage). */
  lineOf(path: readonly (string | number)[]): number | undefined;
}

/** A problem at a key path of the job file, with its line: `job.yaml:12: running_spec.cmd: ...`. */
export function jobProblem(parsed: Pick<ParsedJobFile, "file" | "lineOf">, path: readonly (string | number)[], message: string, hint?: string): Problem {
  return { path: parsed.file, line: parsed.lineOf(path), message: `${formatPath(path)}: ${message}`, ...(hint ? { hint } : {}) };
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const kind = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "a list" : typeof v === "object" ? "a mapping" : `${typeof v} ${JSON.stringify(v)}`);

/**
 * Reads an AVES2 job file and checks it the way the AVES2 client and server
 * would, but reports every problem at once, each with its key path and line.
 */
export function parseJobFile(text: string, file: string): ParsedJobFile {
  const src = parseYaml(text, file);
  const problems: Problem[] = [];
  const ctx = { file, lineOf: src.lineOf };
  const bad = (path: Path, message: string, hint?: string) => {
    problems.push(jobProblem(ctx, path, message, hint));
  };
  const root = src.data;
  if (!isMap(root)) throw new UserError({ path: file, line: 1, message: "must be a YAML mapping (job_name, image, resource_spec, running_spec, ...)" });

  unknownKeys(root, TOP_KEYS, [], bad);
  const str = (v: unknown, path: Path, opts: { required?: boolean; nonEmpty?: boolean } = {}): string | undefined => {
    if (v === undefined || v === null) {
      if (opts.required) bad(path, "is required");
      return undefined;
    }
    if (typeof v !== "string") {
      bad(path, `must be a string, not ${kind(v)}`);
      return undefined;
    }
    if (opts.nonEmpty && !v.trim()) bad(path, "is empty");
    return v;
  };
  const bool = (v: unknown, path: Path): boolean | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "boolean") bad(path, `must be true or false, not ${kind(v)}`);
    return typeof v === "boolean" ? v : undefined;
  };

  const component = str(root.component, ["component"], { nonEmpty: true });
  const jobName = typeof root.job_name === "number" ? String(root.job_name) : str(root.job_name, ["job_name"]);
  const debug = bool(root.debug, ["debug"]);
  const needReport = bool(root.need_report, ["need_report"]);
  const namespace = str(root.namespace, ["namespace"]);
  if (namespace !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) {
    bad(["namespace"], `"${namespace}" is not a Kubernetes namespace name`, "lowercase letters, digits and '-'");
  }
  const distribute = distributeType(root.distribute_type, bad);
  const image = str(root.image, ["image"], { required: true, nonEmpty: true });
  const resources = resourceSpec(root.resource_spec, distribute, bad);

  const rs = root.running_spec;
  let running: Aves2JobFile["running_spec"] | undefined;
  if (!isMap(rs)) bad(["running_spec"], rs === undefined ? "is required" : `must be a mapping, not ${kind(rs)}`, "it holds source_code, cmd, normal_args, input_args, output_args");
  else {
    unknownKeys(rs, RUNNING_SPEC_KEYS, ["running_spec"], bad);
    const sourceCode = rs.source_code === undefined ? undefined : dataConf(rs.source_code, ["running_spec", "source_code"], bad);
    const logDir = rs.log_dir === undefined || rs.log_dir === null || (isMap(rs.log_dir) && Object.keys(rs.log_dir).length === 0)
      ? undefined
      : dataConf(rs.log_dir, ["running_spec", "log_dir"], bad);
    const cmd = str(rs.cmd, ["running_spec", "cmd"], { required: true, nonEmpty: true });
    running = {
      ...(sourceCode ? { source_code: sourceCode } : {}),
      envs: namedList(rs.envs, ["running_spec", "envs"], bad, (v, path) => envValue(v, path, bad)) as JobEnv[],
      cmd: cmd ?? "",
      normal_args: namedList(rs.normal_args, ["running_spec", "normal_args"], bad, (v, path) => argValue(v, path, bad)) as NormalArg[],
      input_args: dataArgs(rs.input_args, ["running_spec", "input_args"], bad),
      output_args: dataArgs(rs.output_args, ["running_spec", "output_args"], bad),
      ...(logDir ? { log_dir: logDir } : {}),
    };
  }
  if (problems.length > 0) throw new UserError(problems);
  const job: Aves2JobFile = {
    ...(component ? { component } : {}),
    job_name: jobName ?? "",
    debug: debug ?? false,
    ...(namespace ? { namespace } : {}),
    ...(needReport !== undefined ? { need_report: needReport } : {}),
    distribute_type: distribute ?? null,
    image: image!,
    resource_spec: resources!,
    running_spec: running!,
  };
  return { job, file, lineOf: src.lineOf };
}

type Bad = (path: Path, message: string, hint?: string) => void;

function unknownKeys(obj: Record<string, unknown>, known: readonly string[], at: Path, bad: Bad): void {
  for (const k of Object.keys(obj)) {
    if (known.includes(k)) continue;
    const near = closest(k, [...known]);
    bad([...at, k], "is not a key of an AVES2 job file", near.length ? `did you mean "${near[0]}"?` : `keys here: ${known.join(", ")}`);
  }
}

function distributeType(v: unknown, bad: Bad): JobDistributeType | undefined {
  if (v === undefined || v === null) return null;
  if (v === "HOROVOD" || v === "TF_PS") return v;
  // the AVES2 client also takes `mpi`, which is what HOROVOD runs on
  if (v === "mpi") return "HOROVOD";
  if (v === "PYTORCH_DDP") {
    bad(["distribute_type"], "PYTORCH_DDP is not supported by AVES2", "AVES2 runs Null (one job), HOROVOD or TF_PS; run PyTorch DDP with --backend local or kubernetes");
    return undefined;
  }
  bad(["distribute_type"], `${JSON.stringify(v)} is not a distribute type`, "Null, HOROVOD or TF_PS");
  return undefined;
}

function resourceSpec(v: unknown, distribute: JobDistributeType | undefined, bad: Bad): Aves2JobFile["resource_spec"] | undefined {
  const at: Path = ["resource_spec"];
  if (!isMap(v)) {
    bad(at, v === undefined ? "is required" : `must be a mapping of role to resources, not ${kind(v)}`, "e.g. worker: {count: 1, cpu: 4, mem: 8, gpu: 0}");
    return undefined;
  }
  const roles = rolesFor(distribute ?? null);
  for (const role of Object.keys(v)) {
    if (roles.includes(role as "ps" | "worker")) continue;
    if (role === "ps") bad([...at, role], `the ps role is only for TF_PS, not ${distribute ?? "Null"}`, "remove it, or set distribute_type: TF_PS");
    else bad([...at, role], `unknown role "${role}"`, `AVES2 takes ${roles.join(" and ")}${distribute === "TF_PS" ? "" : " (and ps with TF_PS)"}`);
  }
  const out: Record<string, JobRole> = {};
  for (const role of roles) {
    const r = v[role];
    if (r === undefined) {
      bad(at, distribute === "TF_PS" ? `TF_PS needs a ${role} role` : `needs a ${role} role`, `add ${role}: {count: 1, cpu: 4, mem: 8, gpu: 0}`);
      continue;
    }
    if (!isMap(r)) {
      bad([...at, role], `must be a mapping (count, cpu, mem, gpu), not ${kind(r)}`);
      continue;
    }
    unknownKeys(r, ["count", "cpu", "mem", "gpu"], [...at, role], bad);
    const num = (key: string, check: (n: number) => boolean, what: string, fallback?: number): number => {
      const n = r[key];
      if (n === undefined && fallback !== undefined) return fallback;
      if (typeof n !== "number" || !check(n)) bad([...at, role, key], n === undefined ? "is required" : `${JSON.stringify(n)} is not ${what}`);
      return n as number;
    };
    out[role] = {
      count: num("count", (n) => Number.isInteger(n) && n >= 1, "a positive whole number"),
      cpu: num("cpu", (n) => n > 0, "a positive number"),
      mem: num("mem", (n) => Number.isInteger(n) && n >= 1, "a whole number of GiB (AVES2 takes mem in GiB)"),
      gpu: num("gpu", (n) => Number.isInteger(n) && n >= 0, "a GPU count", 0),
    };
  }
  return out.ps ? { ps: out.ps, worker: out.worker! } : { worker: out.worker! };
}

function namedList(v: unknown, at: Path, bad: Bad, value: (v: unknown, path: Path) => unknown): { name: string; value: unknown }[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    bad(at, `must be a list of {name, value}, not ${kind(v)}`);
    return [];
  }
  const seen = new Set<string>();
  return v.flatMap((item, i) => {
    if (!isMap(item)) {
      bad([...at, i], `must be a mapping {name, value}, not ${kind(item)}`);
      return [];
    }
    unknownKeys(item, ["name", "value"], [...at, i], bad);
    const name = item.name;
    if (typeof name !== "string" || !name) {
      bad([...at, i, "name"], name === undefined ? "is required" : `must be a string, not ${kind(name)}`);
      return [];
    }
    if (seen.has(name)) bad([...at, i, "name"], `"${name}" is given twice`);
    seen.add(name);
    return [{ name, value: value(item.value, [...at, i, "value"]) }];
  });
}

function argValue(v: unknown, path: Path, bad: Bad): ParamValue {
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  bad(path, v === undefined || v === null ? "is missing" : `must be a string, number or boolean, not ${kind(v)}`);
  return "";
}

function envValue(v: unknown, path: Path, bad: Bad): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  bad(path, v === undefined || v === null ? "is missing" : `must be a string, not ${kind(v)}`);
  return "";
}

function dataArgs(v: unknown, at: Path, bad: Bad): DataArg[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    bad(at, `must be a list of {name, data_conf}, not ${kind(v)}`);
    return [];
  }
  const seen = new Set<string>();
  return v.flatMap((item, i) => {
    if (!isMap(item)) {
      bad([...at, i], `must be a mapping {name, data_conf}, not ${kind(item)}`);
      return [];
    }
    unknownKeys(item, ["name", "data_conf"], [...at, i], bad);
    if (typeof item.name !== "string" || !item.name) {
      bad([...at, i, "name"], item.name === undefined ? "is required" : `must be a string, not ${kind(item.name)}`);
      return [];
    }
    if (seen.has(item.name)) bad([...at, i, "name"], `"${item.name}" is given twice`);
    seen.add(item.name);
    const conf = dataConf(item.data_conf, [...at, i, "data_conf"], bad);
    return conf ? [{ name: item.name, data_conf: conf }] : [];
  });
}

function dataConf(v: unknown, at: Path, bad: Bad): DataConf | undefined {
  if (!isMap(v)) {
    bad(at, v === undefined ? "is required" : `must be a mapping {storage_mode, storage_conf}, not ${kind(v)}`);
    return undefined;
  }
  unknownKeys(v, ["storage_mode", "storage_conf"], at, bad);
  const mode = v.storage_mode;
  let ok = true;
  if (!(STORAGE_MODES as readonly unknown[]).includes(mode)) {
    const near = typeof mode === "string" ? closest(mode, [...STORAGE_MODES]) : [];
    bad([...at, "storage_mode"], mode === undefined ? "is required" : `${JSON.stringify(mode)} is not a storage mode`, near.length ? `did you mean "${near[0]}"?` : `one of ${STORAGE_MODES.join(", ")}`);
    ok = false;
  }
  const conf = v.storage_conf;
  if (!isMap(conf)) {
    bad([...at, "storage_conf"], conf === undefined ? "is required" : `must be a mapping {path[, pvc]}, not ${kind(conf)}`);
    return undefined;
  }
  unknownKeys(conf, ["path", "pvc"], [...at, "storage_conf"], bad);
  if (typeof conf.path !== "string" || !conf.path.trim()) {
    bad([...at, "storage_conf", "path"], conf.path === undefined ? "is required" : typeof conf.path === "string" ? "is empty" : `must be a string, not ${kind(conf.path)}`);
    ok = false;
  }
  if (conf.pvc !== undefined && typeof conf.pvc !== "string") {
    bad([...at, "storage_conf", "pvc"], `must be a string, not ${kind(conf.pvc)}`);
    ok = false;
  }
  if (conf.pvc !== undefined && mode !== "K8SPVC" && ok) {
    bad([...at, "storage_conf", "pvc"], `applies to K8SPVC, not ${String(mode)}`);
    ok = false;
  }
  if (mode === "K8SPVC" && ok && !conf.pvc) {
    bad([...at, "storage_conf", "pvc"], "K8SPVC needs the claim's name", "add pvc: <claim name>");
    ok = false;
  }
  if (!ok) return undefined;
  return {
    storage_mode: mode as StorageMode,
    storage_conf: { ...(typeof conf.pvc === "string" ? { pvc: conf.pvc } : {}), path: conf.path as string },
  };
}
