import type { RoleResources } from "../../manifest/types.js";
import type { RunSpec } from "../../run/spec.js";
import type { K8sEngine } from "./options.js";
import { LABEL } from "./names.js";
import type { JsonObject, K8sObject, ObjectMeta, ObjectRef } from "./objects.js";
import type { PodData, StagingContext } from "./staging.js";

/** Everything the per-kind renderers share. Built once per plan, pure. */
export interface RenderContext {
  readonly spec: RunSpec;
  readonly namespace: string;
  readonly engine: K8sEngine;
  /** The name every object of the run starts with (DNS-1035, ≤ 45). */
  readonly base: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly data: PodData;
  readonly staging: StagingContext;
  /** Env of every training container (run id, the user's --env), escaped. */
  readonly runEnv: readonly JsonObject[];
  /** The process argv with the pod's folders (not yet escaped). */
  readonly argv: readonly string[];
  readonly images: { readonly worker: string; readonly ps: string };
  readonly backoffLimit: number;
  readonly activeDeadlineSeconds?: number;
  readonly ttlSecondsAfterFinished: number;
}

/** A group of identical pods, for preflight (can the cluster hold them?) and for log prefixes. */
export interface PodGroup {
  readonly role: string;
  readonly count: number;
  readonly resources: RoleResources;
  /** The container whose log is the replica's log. */
  readonly container: string;
}

export interface Rendered {
  /** In the order they are created; the primary first. */
  readonly objects: readonly K8sObject[];
  /** The object whose state is the run's state; the others are owned by it. */
  readonly primary: ObjectRef;
  readonly pods: readonly PodGroup[];
  /** Jobs whose pods serve the others and never end by themselves (TF parameter servers, sshd workers): deleted when the run ends. */
  readonly daemons: readonly ObjectRef[];
  readonly notes: readonly string[];
}

export function meta(ctx: RenderContext, name: string, opts: { primary?: boolean; role?: string } = {}): ObjectMeta {
  return {
    name,
    namespace: ctx.namespace,
    labels: { ...ctx.labels, ...(opts.role ? { [LABEL.role]: opts.role } : {}), ...(opts.primary ? { [LABEL.primary]: "true" } : {}) },
    annotations: { ...ctx.annotations },
  };
}

/** Kubeflow's run policy from the same flags as a Job's. */
export function runPolicy(ctx: RenderContext): JsonObject {
  return {
    cleanPodPolicy: "Running",
    backoffLimit: ctx.backoffLimit,
    ttlSecondsAfterFinished: ctx.ttlSecondsAfterFinished,
    ...(ctx.activeDeadlineSeconds ? { activeDeadlineSeconds: ctx.activeDeadlineSeconds } : {}),
  };
}

/** The standard torch.distributed variables that do not differ per pod, for one process per pod. */
export const ONE_PROCESS_PER_POD: readonly JsonObject[] = [
  { name: "LOCAL_RANK", value: "0" },
  { name: "LOCAL_WORLD_SIZE", value: "1" },
];

/** The AVES2 TF_PS flags, appended to the process's argv. */
export function tfFlags(psHosts: readonly string[], workerHosts: readonly string[], role: "ps" | "worker", index: string | { ref: string }) {
  return ["--ps_hosts", psHosts.join(","), "--worker_hosts", workerHosts.join(","), "--job_name", role, "--task_index", index] as const;
}
