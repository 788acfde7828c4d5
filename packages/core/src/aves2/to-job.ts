import { type Problem, UserError } from "../errors.js";
import type { RoleResources } from "../manifest/types.js";
import type { RunSpec } from "../run/spec.js";
import { type DataUri, formatUri } from "@aves2/storage/uri";
import { joinCommandLine } from "./command-line.js";
import { uriToDataConf } from "./data-conf.js";
import type { Aves2JobFile, DataArg, DataConf, JobRole } from "./job-file.js";

/** The image a run asks for, else the component's: the GPU image when a worker has GPUs. */
export function imageFor(spec: RunSpec): string | undefined {
  if (spec.image) return spec.image;
  const { cpu, gpu } = spec.component.images;
  return spec.resources.worker.gpu > 0 ? (gpu ?? cpu) : (cpu ?? gpu);
}

const UPLOAD_HINT = "upload it with `component storage sync <dir> s3://<bucket>/<prefix>/`";

/**
 * RunSpec → AVES2 job file, in the seed's key order. Pure. normal_args lists
 * the params set explicitly (by a params file, --set or a job file), not the
 * manifest's defaults, which the component's code has as its own defaults.
 * Everything AVES2 cannot do is reported at once.
 */
export function specToJobFile(spec: RunSpec): Aves2JobFile {
  const problems: Problem[] = [];
  if (spec.distribute === "PYTORCH_DDP") {
    problems.push({ path: "--distribute", message: "PYTORCH_DDP is not supported by AVES2", hint: "AVES2 runs none, HOROVOD or TF_PS; run PyTorch DDP with --backend local or kubernetes" });
  }
  const remote = (uri: DataUri, what: string, hint: string): DataConf | undefined => {
    const conf = uriToDataConf(uri);
    if (!conf) problems.push({ path: what, message: `${formatUri(uri)} is on this machine, where an AVES2 job cannot read it`, hint });
    return conf;
  };
  const sourceCode = remote(
    spec.code,
    "--code",
    spec.code.scheme === "file" && spec.code.path === spec.component.sourceDir
      ? `the component's code is bundled here; ${UPLOAD_HINT} and pass --code s3://<bucket>/<prefix>/`
      : `${UPLOAD_HINT} and pass --code s3://<bucket>/<prefix>/`,
  );
  const optional = new Set(spec.component.inputs.filter((i) => !i.required).map((i) => i.name));
  const inputArgs: DataArg[] = spec.inputs.flatMap((i) => {
    const hint = `${UPLOAD_HINT} and pass --input ${i.name}=s3://<bucket>/<prefix>/${optional.has(i.name) ? `, or --input ${i.name}= to leave it unbound` : ""}`;
    const conf = remote(i.uri, `--input ${i.name}`, i.from === "default" ? `it is the component's default; ${hint}` : hint);
    return conf ? [{ name: i.name, data_conf: conf }] : [];
  });
  const outputArgs: DataArg[] = spec.outputs.flatMap((o) => {
    if (!o.uri) {
      problems.push({ path: `--output ${o.name}`, message: "has no destination; an AVES2 job saves its outputs to storage", hint: `add --output ${o.name}=s3://<bucket>/<prefix>/` });
      return [];
    }
    const conf = remote(o.uri, `--output ${o.name}`, `give a storage URI: --output ${o.name}=s3://<bucket>/<prefix>/`);
    return conf ? [{ name: o.name, data_conf: conf }] : [];
  });
  const logDir = spec.logDir ? remote(spec.logDir, "log_dir", "give a storage URI such as s3://<bucket>/logs/") : undefined;
  const image = imageFor(spec);
  if (!image) problems.push({ path: "--image", message: `${spec.component.name} names no image to run in`, hint: "pass --image <registry>/<image>:<tag>" });
  const role = (name: "worker" | "ps", r: RoleResources): JobRole => {
    if (!Number.isInteger(r.mem)) problems.push({ path: `--resource ${name}.mem`, message: `${r.mem} GiB: AVES2 takes memory in whole GiB`, hint: `e.g. -r ${name}.mem=${Math.ceil(r.mem)}` });
    return { count: r.count, cpu: r.cpu, mem: r.mem, gpu: r.gpu };
  };
  const worker = role("worker", spec.resources.worker);
  const ps = spec.distribute === "TF_PS" && spec.resources.ps ? role("ps", spec.resources.ps) : undefined;
  if (problems.length > 0) throw new UserError(problems);

  const a = spec.aves2 ?? {};
  return {
    ...(a.componentKey ? { component: a.componentKey } : {}),
    job_name: spec.name,
    debug: a.debug ?? false,
    ...(spec.namespace ? { namespace: spec.namespace } : {}),
    ...(a.needReport !== undefined ? { need_report: a.needReport } : {}),
    distribute_type: spec.distribute === "none" ? null : (spec.distribute as "HOROVOD" | "TF_PS"),
    image: image!,
    resource_spec: ps ? { ps, worker } : { worker },
    running_spec: {
      source_code: sourceCode!,
      envs: (spec.env ?? []).map((e) => ({ name: e.name, value: e.value })),
      cmd: joinCommandLine(spec.component.command),
      normal_args: spec.params.filter((p) => p.from !== "default").map((p) => ({ name: p.name, value: p.value })),
      input_args: inputArgs,
      output_args: outputArgs,
      ...(logDir ? { log_dir: logDir } : {}),
    },
  };
}
