import type { RoleResources } from "../../manifest/types.js";
import { LABEL, literal } from "./names.js";
import type { JsonObject } from "./objects.js";
import { PATHS } from "./pod-paths.js";
import { TRAIN_WRAPPER, UPLOAD_GRACE_SECONDS } from "./pod-scripts.js";
import { type Container, type PodData, type StagingContext, uploaderContainer } from "./staging.js";

/** An argument that is a deliberate `$(VAR)` reference, expanded by Kubernetes (never user data). */
export interface EnvRef {
  readonly ref: string;
}
export type Arg = string | EnvRef;

export function envRef(name: string): EnvRef {
  return { ref: `$(${name})` };
}

export function renderArgs(args: readonly Arg[]): string[] {
  return args.map((a) => (typeof a === "string" ? literal(a) : a.ref));
}

/** The env var every pod of a replicated role gets its index in, from the downward API. */
export const INDEX_ENV = "AVES2_INDEX";

/** What differs between the pods of a run: one per role. */
export interface RoleSpec {
  readonly role: string;
  /** The training container's name (Kubeflow operators look for theirs by name). */
  readonly container: string;
  readonly image: string;
  /** The process's argv (or, for sshd workers, the daemon's). */
  readonly command: readonly Arg[];
  /** Extra env of the training container (values are escaped unless they are EnvRef strings built by us). */
  readonly env: readonly JsonObject[];
  readonly resources: RoleResources;
  /** Whether this role's rank 0 writes the outputs (and the pod gets the uploader). */
  readonly writesOutputs: boolean;
  /** The downward-API source of this pod's index within its role, when the role has several pods. */
  readonly indexFrom?: JsonObject;
  readonly ports?: readonly JsonObject[];
  /** Native engine: pods get stable DNS names `<hostname>.<subdomain>`. */
  readonly subdomain?: string;
  readonly extraVolumes?: readonly JsonObject[];
  readonly extraMounts?: readonly JsonObject[];
  /** sshd workers of HOROVOD do not run the command themselves: no exit-code wrapper. */
  readonly daemon?: boolean;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

/** `cpu: 0.5` → `"500m"`, `4` → `"4"`: the API takes an integer or a string, never a fraction. */
export function cpuQuantity(cpu: number): string {
  return Number.isInteger(cpu) ? String(cpu) : `${Math.round(cpu * 1000)}m`;
}

/** GiB as a quantity; fractions go to Mi so the value stays exact. */
export function memQuantity(gib: number): string {
  return Number.isInteger(gib) ? `${gib}Gi` : `${Math.round(gib * 1024)}Mi`;
}

export function resourcesOf(r: RoleResources): JsonObject {
  const q: Record<string, string> = { cpu: cpuQuantity(r.cpu), memory: memQuantity(r.mem), ...(r.gpu > 0 ? { "nvidia.com/gpu": String(r.gpu) } : {}) };
  return { requests: { ...q }, limits: { ...q } };
}

export const BASE_ENV: readonly JsonObject[] = [
  { name: "PYTHONUNBUFFERED", value: "1" },
  { name: "PYTHONDONTWRITEBYTECODE", value: "1" },
];

/**
 * A pod template: staging init containers, the training container (its
 * command under the init of pod-scripts.ts, which forwards the stop signal,
 * keeps the log and the exit code; sshd daemons run as they are), the
 * uploader.
 */
export function podTemplate(role: RoleSpec, data: PodData, staging: StagingContext, runEnv: readonly JsonObject[]): JsonObject {
  const indexEnv = role.indexFrom ? [{ name: INDEX_ENV, valueFrom: role.indexFrom }] : [];
  const uploader = role.writesOutputs && !role.daemon ? uploaderContainer(data, staging, role.indexFrom ? INDEX_ENV : undefined, role.indexFrom) : undefined;
  const argv = renderArgs(role.command);
  const command = role.daemon ? argv : ["sh", "-c", literal(TRAIN_WRAPPER), "aves2", ...argv];
  const train: Container = {
    name: role.container,
    image: role.image,
    command,
    workingDir: PATHS.code,
    env: [...indexEnv, ...BASE_ENV, ...runEnv, ...role.env],
    resources: resourcesOf(role.resources),
    volumeMounts: [...data.mounts, ...(role.extraMounts ?? [])],
    ...(role.ports?.length ? { ports: [...role.ports] } : {}),
  };
  return {
    metadata: { labels: { ...role.labels, [LABEL.role]: role.role }, annotations: { ...role.annotations } },
    spec: {
      restartPolicy: "Never",
      enableServiceLinks: false,
      // a canceled run's pod: 20 s for the training process to stop, the rest for the uploader (see pod-scripts.ts)
      ...(uploader ? { terminationGracePeriodSeconds: UPLOAD_GRACE_SECONDS } : {}),
      ...(role.subdomain ? { subdomain: role.subdomain } : {}),
      initContainers: [...data.initContainers],
      containers: uploader ? [train, uploader] : [train],
      volumes: [...data.volumes, ...(role.extraVolumes ?? [])],
    },
  };
}
