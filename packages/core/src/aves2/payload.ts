import type { ParamValue } from "../manifest/types.js";
import { splitArchivePath } from "./data-conf.js";
import type { Aves2JobFile, DataConf, JobDistributeType, StorageMode } from "./job-file.js";

/** One storage location as the AVES2 server takes it. */
export interface PayloadData {
  readonly type: StorageMode;
  readonly path: string;
  readonly filename: string;
  readonly pvc?: string;
}

export interface PayloadRole {
  readonly count: number;
  readonly cpu: number;
  readonly mem: string;
  readonly gpu: number;
  readonly entry_point: string;
  readonly args: readonly Readonly<Record<string, ParamValue>>[];
}

/** The S3 credentials of the client's config (`[StorageConf] [[S3]]`), passed to the server for OSSFile data. */
export interface S3StorageConf {
  readonly S3Endpoint: string;
  readonly S3AccessKeyId: string;
  readonly S3SecretAccessKey: string;
}

/** The body of `POST {host}/api/aves_job/`, key for key what the AVES2 client sends. */
export interface Aves2Payload {
  readonly need_report: boolean;
  readonly name: string;
  readonly debug: boolean;
  readonly namespace: string;
  readonly image: string;
  readonly package_uri: "deprecated";
  readonly engine: "deprecated";
  readonly storage_mode: "OSSFile";
  readonly storage_config: { readonly mode: "OSSFile"; readonly config: S3StorageConf | null };
  readonly is_distribute: boolean;
  readonly distribute_type: JobDistributeType;
  readonly resource_spec: Readonly<Record<string, PayloadRole>>;
  readonly envs: Readonly<Record<string, string>>;
  readonly code_spec: PayloadData;
  readonly input_spec: Readonly<Record<string, PayloadData>>;
  readonly output_spec: Readonly<Record<string, PayloadData>>;
  /** `{}` when the job has no log_dir, as the client sends it. */
  readonly log_dir: PayloadData | Record<string, never>;
}

export interface PayloadContext {
  /** Used when the job file has no namespace (the client config's; else `default`). */
  readonly namespace?: string;
  readonly s3: S3StorageConf | null;
}

function data(conf: DataConf): PayloadData {
  const { path, filename } = splitArchivePath(conf.storage_conf.path);
  return { type: conf.storage_mode, path, filename, ...(conf.storage_mode === "K8SPVC" ? { pvc: conf.storage_conf.pvc! } : {}) };
}

/**
 * Job file → the JSON the AVES2 client POSTs: mem as `<N>Gi`, the command and
 * normal_args on every role, args as single-key maps, envs as a map, archive
 * paths split into folder + file name, storage credentials from the client's
 * config (never from the job file). Pure.
 */
export function jobToPayload(job: Aves2JobFile, ctx: PayloadContext): Aves2Payload {
  const rs = job.running_spec;
  if (!rs.source_code) throw new Error("a job without source_code cannot be posted (checked when planning)");
  const args = rs.normal_args.map((a) => ({ [a.name]: a.value }));
  const roles = Object.fromEntries(
    Object.entries(job.resource_spec).map(([role, r]) => [role, { count: r.count, cpu: r.cpu, mem: `${r.mem}Gi`, gpu: r.gpu, entry_point: rs.cmd, args }]),
  );
  return {
    need_report: job.need_report ?? false,
    name: job.job_name,
    debug: job.debug,
    namespace: job.namespace ?? ctx.namespace ?? "default",
    image: job.image,
    package_uri: "deprecated",
    engine: "deprecated",
    storage_mode: "OSSFile",
    storage_config: { mode: "OSSFile", config: ctx.s3 },
    is_distribute: job.distribute_type !== null,
    distribute_type: job.distribute_type,
    resource_spec: roles,
    envs: Object.fromEntries(rs.envs.map((e) => [e.name, e.value])),
    code_spec: data(rs.source_code),
    input_spec: Object.fromEntries(rs.input_args.map((a) => [a.name, data(a.data_conf)])),
    output_spec: Object.fromEntries(rs.output_args.map((a) => [a.name, data(a.data_conf)])),
    log_dir: rs.log_dir ? data(rs.log_dir) : {},
  };
}
