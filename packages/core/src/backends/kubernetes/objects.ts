/**
 * Kubernetes objects as plain JSON values: what is rendered, validated, sent
 * and printed is one and the same value (no client model in between that
 * could drop a field).
 */
export type Json = string | number | boolean | null | Json[] | { [k: string]: Json | undefined };
export type JsonObject = { [k: string]: Json | undefined };

export interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller?: boolean;
  readonly blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly ownerReferences?: readonly OwnerReference[];
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly creationTimestamp?: string;
  readonly deletionTimestamp?: string;
}

export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
  readonly [field: string]: unknown;
}

/** Names an object without its content. */
export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
}

export interface KindInfo {
  readonly apiVersion: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

/** The kinds this backend creates or reads, and where the API serves them. */
export const KINDS: Readonly<Record<string, KindInfo>> = {
  Job: { apiVersion: "batch/v1", plural: "jobs", namespaced: true },
  Service: { apiVersion: "v1", plural: "services", namespaced: true },
  Secret: { apiVersion: "v1", plural: "secrets", namespaced: true },
  ConfigMap: { apiVersion: "v1", plural: "configmaps", namespaced: true },
  Pod: { apiVersion: "v1", plural: "pods", namespaced: true },
  PersistentVolumeClaim: { apiVersion: "v1", plural: "persistentvolumeclaims", namespaced: true },
  Namespace: { apiVersion: "v1", plural: "namespaces", namespaced: false },
  Node: { apiVersion: "v1", plural: "nodes", namespaced: false },
  Event: { apiVersion: "v1", plural: "events", namespaced: true },
  TFJob: { apiVersion: "kubeflow.org/v1", plural: "tfjobs", namespaced: true },
  PyTorchJob: { apiVersion: "kubeflow.org/v1", plural: "pytorchjobs", namespaced: true },
  MPIJob: { apiVersion: "kubeflow.org/v2beta1", plural: "mpijobs", namespaced: true },
};

/** The Kubeflow kinds, each served only where its operator's CRD is installed. */
export const KUBEFLOW_KINDS = ["TFJob", "PyTorchJob", "MPIJob"] as const;
export type KubeflowKind = (typeof KUBEFLOW_KINDS)[number];

export function kindInfo(kind: string): KindInfo {
  const k = KINDS[kind];
  if (!k) throw new Error(`unknown kind ${kind}`);
  return k;
}

/** `/api/v1/namespaces/ns/pods/name` or `/apis/kubeflow.org/v1/namespaces/ns/tfjobs`. */
export function resourcePath(kind: string, namespace: string | undefined, name?: string, sub?: string): string {
  const k = kindInfo(kind);
  const root = k.apiVersion.includes("/") ? `/apis/${k.apiVersion}` : `/api/${k.apiVersion}`;
  const ns = k.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  return `${root}${ns}/${k.plural}${name ? `/${encodeURIComponent(name)}` : ""}${sub ? `/${sub}` : ""}`;
}

export function refOf(o: K8sObject): ObjectRef {
  return { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name };
}

export function describeRef(r: ObjectRef): string {
  return `${r.kind} ${r.name}`;
}
