import { foreignRecord, type RunRecord } from "../../records/record.js";
import { readRecordAt, resolveRunDir } from "../../records/run-store.js";
import { UserError } from "../../errors.js";
import type { Connection } from "./connection.js";
import { LABEL } from "./names.js";
import { type K8sObject, type ObjectRef, refOf } from "./objects.js";
import type { KubernetesPlan } from "./plan.js";
import type { LiveState } from "./status.js";

/** What run.json keeps about a cluster run, so that status/logs/cancel find it again. Names, never secrets. */
export interface KubernetesDetails {
  readonly namespace: string;
  readonly context?: string;
  readonly server?: string;
  readonly engine: string;
  readonly primary: ObjectRef;
  readonly objects: readonly ObjectRef[];
  readonly daemons: readonly ObjectRef[];
  readonly replicas: readonly string[];
  /** Which submission this is: 1, then one more for each `rerun` (its pods carry it: attempts.ts). */
  readonly attempts?: number;
  /** When the current attempt was submitted. */
  readonly submittedAt?: string;
  /** What following the run could not do (a 403 on watch or on a log), said once. */
  readonly warnings?: readonly string[];
}

/** The details a submitted run's record starts with. */
export function submittedDetails(plan: KubernetesPlan): KubernetesDetails {
  return {
    namespace: plan.target.namespace,
    ...(plan.target.context ? { context: plan.target.context } : {}),
    ...(plan.target.server ? { server: plan.target.server } : {}),
    engine: plan.target.engine,
    primary: plan.primary,
    objects: plan.objects.map(refOf),
    daemons: plan.daemons,
    replicas: plan.replicas,
    attempts: 1,
  };
}

/** The Kubernetes part of a record this backend wrote. */
export function details(r: RunRecord): KubernetesDetails {
  return r.details as unknown as KubernetesDetails;
}

/** A run recorded here that ran on Kubernetes, by id or unique prefix. */
export function recordedRun(runsDir: string, runId: string): { dir: string; record: RunRecord } {
  const dir = resolveRunDir(runsDir, runId);
  const record = readRecordAt(dir);
  if (!record) throw UserError.of(`run ${runId} has no readable record`, { path: dir });
  if (record.backend !== "kubernetes") throw UserError.of(`run ${record.runId} ran on ${record.backend}, not on Kubernetes`, { hint: `add --backend ${record.backend}` });
  return { dir, record };
}

export function resourceApiVersion(kind: string): string {
  return kind === "Job" ? "batch/v1" : kind === "MPIJob" ? "kubeflow.org/v2beta1" : "kubeflow.org/v1";
}

/** A run found on the cluster that has no record here (submitted from elsewhere). */
export function fromObject(o: K8sObject, runId: string, state: LiveState, conn: Connection): RunRecord {
  const l = o.metadata.labels ?? {};
  return foreignRecord({
    runId,
    backend: "kubernetes",
    name: o.metadata.annotations?.["aves2.io/run-name"] ?? runId,
    component: { name: l[LABEL.component] ?? "?", version: l[LABEL.version] ?? "?" },
    createdAt: o.metadata.annotations?.["aves2.io/created-at"] ?? o.metadata.creationTimestamp ?? "",
    workers: 1,
    state: state.state,
    ...(state.reason ? { reason: state.reason } : {}),
    ...(state.startedAt ? { startedAt: state.startedAt } : {}),
    ...(state.endedAt ? { endedAt: state.endedAt } : {}),
    details: { namespace: conn.namespace, ...(conn.context ? { context: conn.context } : {}), primary: refOf(o), recorded: false },
  });
}

