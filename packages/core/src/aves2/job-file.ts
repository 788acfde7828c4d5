import type { ParamValue } from "../manifest/types.js";

/**
 * The AVES2 job description file (`aves2 create -f job.yaml`), as the AVES2
 * client reads it. Key order here is the order we write: the seed's.
 */

export const STORAGE_MODES = ["OSSFile", "HostPath", "K8SPVC", "NFSPath"] as const;
export type StorageMode = (typeof STORAGE_MODES)[number];

/** `null` is YAML's `Null`: a single, non-distributed job. */
export type JobDistributeType = null | "HOROVOD" | "TF_PS";

export interface StorageConf {
  /** The PersistentVolumeClaim, for K8SPVC (then `path` is the sub path inside it); written first, as AVES2's examples do. */
  readonly pvc?: string;
  readonly path: string;
}

export interface DataConf {
  readonly storage_mode: StorageMode;
  readonly storage_conf: StorageConf;
}

export interface DataArg {
  readonly name: string;
  readonly data_conf: DataConf;
}

export interface NormalArg {
  readonly name: string;
  readonly value: ParamValue;
}

export interface JobEnv {
  readonly name: string;
  readonly value: string;
}

export interface JobRole {
  readonly count: number;
  readonly cpu: number;
  /** GiB, a whole number */
  readonly mem: number;
  readonly gpu: number;
}

export interface RunningSpec {
  /** Absent only when the job names a catalog component, whose bundled code is then used (local runs). */
  readonly source_code?: DataConf;
  readonly envs: readonly JobEnv[];
  readonly cmd: string;
  readonly normal_args: readonly NormalArg[];
  readonly input_args: readonly DataArg[];
  readonly output_args: readonly DataArg[];
  readonly log_dir?: DataConf;
}

export interface Aves2JobFile {
  /** Ours, not AVES2's: the catalog component this job runs (`name` or `name@version`). */
  readonly component?: string;
  readonly job_name: string;
  readonly debug: boolean;
  readonly namespace?: string;
  readonly need_report?: boolean;
  readonly distribute_type: JobDistributeType;
  readonly image: string;
  /** `worker`, and `ps` for TF_PS (written ps first, as AVES2's examples do). */
  readonly resource_spec: { readonly ps?: JobRole; readonly worker: JobRole };
  readonly running_spec: RunningSpec;
}

export const TOP_KEYS = ["component", "job_name", "debug", "namespace", "need_report", "distribute_type", "image", "resource_spec", "running_spec"] as const;
export const RUNNING_SPEC_KEYS = ["source_code", "envs", "cmd", "normal_args", "input_args", "output_args", "log_dir"] as const;
export const ROLE_KEYS = ["count", "cpu", "mem", "gpu"] as const;

/** The roles AVES2 accepts for a distribute type: exactly these, no more, no fewer. */
export function rolesFor(distribute: JobDistributeType): readonly ("ps" | "worker")[] {
  return distribute === "TF_PS" ? ["ps", "worker"] : ["worker"];
}
