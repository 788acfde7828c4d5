import { checkLabels, checkName, DNS1123_LABEL, type NameRule, nameProblems } from "./admission-meta.js";
import { checkPodSpec, checkPodTemplate, ianaNameProblem } from "./admission-pods.js";
import { type AdmissionCause, child, duplicate, forbidden, index, invalid, notSupported, required, tooLong, unknownField } from "./field-errors.js";

/**
 * Each kind's own rules: the API server's for the core kinds (a Job's,
 * a Service's, a Secret's), the Kubeflow operators' for theirs (the training
 * operator's admission webhook for TFJob and PyTorchJob; the mpi-operator's
 * checks for MPIJob, which it makes when it picks the job up and fails it
 * for: refused here at once, naming the field).
 */

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : undefined);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map((x) => obj(x) ?? {}) : []);

/** How each kind's metadata.name is checked: Services are DNS-1035 labels; the training operator wants DNS-1035 job names. */
export const NAME_RULE: Readonly<Record<string, NameRule>> = {
  Pod: "dns1123-subdomain",
  Job: "dns1123-subdomain",
  Service: "dns1035-label",
  Secret: "dns1123-subdomain",
  ConfigMap: "dns1123-subdomain",
  PersistentVolumeClaim: "dns1123-subdomain",
  Namespace: "dns1123-label",
  Node: "dns1123-subdomain",
  TFJob: "dns1035-label",
  PyTorchJob: "dns1035-label",
  MPIJob: "dns1123-subdomain",
};

/** The fields of the core kinds (where no CRD schema lists them): top level, and spec where it has one. */
export const CORE_FIELDS: Readonly<Record<string, { top: readonly string[]; spec?: readonly string[] }>> = {
  Job: {
    top: ["apiVersion", "kind", "metadata", "spec", "status"],
    spec: ["activeDeadlineSeconds", "backoffLimit", "backoffLimitPerIndex", "completionMode", "completions", "managedBy", "manualSelector", "maxFailedIndexes", "parallelism", "podFailurePolicy", "podReplacementPolicy", "selector", "successPolicy", "suspend", "template", "ttlSecondsAfterFinished"],
  },
  Service: {
    top: ["apiVersion", "kind", "metadata", "spec", "status"],
    spec: ["allocateLoadBalancerNodePorts", "clusterIP", "clusterIPs", "externalIPs", "externalName", "externalTrafficPolicy", "healthCheckNodePort", "internalTrafficPolicy", "ipFamilies", "ipFamilyPolicy", "loadBalancerClass", "loadBalancerIP", "loadBalancerSourceRanges", "ports", "publishNotReadyAddresses", "selector", "sessionAffinity", "sessionAffinityConfig", "trafficDistribution", "type"],
  },
  Pod: { top: ["apiVersion", "kind", "metadata", "spec", "status"] },
  Secret: { top: ["apiVersion", "kind", "metadata", "data", "stringData", "type", "immutable"] },
  ConfigMap: { top: ["apiVersion", "kind", "metadata", "data", "binaryData", "immutable"] },
  PersistentVolumeClaim: { top: ["apiVersion", "kind", "metadata", "spec", "status"], spec: ["accessModes", "dataSource", "dataSourceRef", "resources", "selector", "storageClassName", "volumeAttributesClassName", "volumeMode", "volumeName"] },
  Namespace: { top: ["apiVersion", "kind", "metadata", "spec", "status"], spec: ["finalizers"] },
  Node: { top: ["apiVersion", "kind", "metadata", "spec", "status"] },
};

export function checkCoreFields(o: Obj, out: AdmissionCause[]): void {
  const fields = CORE_FIELDS[String(o.kind)];
  if (!fields) return;
  for (const k of Object.keys(o)) if (!fields.top.includes(k)) out.push(unknownField(k));
  const spec = obj(o.spec);
  if (fields.spec && spec) for (const k of Object.keys(spec)) if (!fields.spec.includes(k)) out.push(unknownField(child("spec", k)));
}

const nonNegative = (field: string, v: unknown, out: AdmissionCause[]) => typeof v === "number" && v < 0 && out.push(invalid(field, v, "must be greater than or equal to 0"));

function checkJob(o: Obj, out: AdmissionCause[]): void {
  // the Job controller labels its pods batch.kubernetes.io/job-name=<name>: a label value
  const name = obj(o.metadata)?.name;
  if (typeof name === "string" && name.length > 63) out.push(invalid("spec.template.labels", name, "must be no more than 63 characters"));
  const spec = obj(o.spec);
  if (!spec) return void out.push(required("spec"));
  for (const k of ["parallelism", "completions", "backoffLimit", "ttlSecondsAfterFinished"]) nonNegative(child("spec", k), spec[k], out);
  if (typeof spec.activeDeadlineSeconds === "number" && spec.activeDeadlineSeconds <= 0) out.push(invalid("spec.activeDeadlineSeconds", spec.activeDeadlineSeconds, "must be greater than 0"));
  if (spec.completionMode === "Indexed" && spec.completions === undefined) out.push(required("spec.completions", "when completion mode is Indexed"));
  if (spec.selector !== undefined && spec.manualSelector !== true) out.push(invalid("spec.selector", spec.selector, "`selector` will be auto-generated"));
  checkPodTemplate("spec.template", obj(spec.template), out, ["OnFailure", "Never"]);
}

function checkPod(o: Obj, out: AdmissionCause[]): void {
  const spec = obj(o.spec);
  if (!spec) return void out.push(required("spec"));
  checkPodSpec("spec", spec, out);
}

function checkService(o: Obj, out: AdmissionCause[]): void {
  const spec = obj(o.spec) ?? {};
  const type = spec.type ?? "ClusterIP";
  const types = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"];
  if (!types.includes(String(type))) out.push(notSupported("spec.type", type, types));
  const ports = list(spec.ports);
  if (ports.length === 0 && spec.clusterIP !== "None" && type !== "ExternalName") out.push(required("spec.ports"));
  const names = new Set<string>();
  const keys = new Set<string>();
  ports.forEach((p, i) => {
    const at = index("spec.ports", i);
    if (ports.length > 1 && !p.name) out.push(required(child(at, "name")));
    if (typeof p.name === "string" && p.name !== "") {
      checkName(child(at, "name"), p.name, "dns1123-label", out);
      if (names.has(p.name)) out.push(duplicate(child(at, "name"), p.name));
      names.add(p.name);
    }
    if (typeof p.port === "number" && (p.port < 1 || p.port > 65535)) out.push(invalid(child(at, "port"), p.port, "must be between 1 and 65535, inclusive"));
    const protocol = p.protocol ?? "TCP";
    if (!["TCP", "UDP", "SCTP"].includes(String(protocol))) out.push(notSupported(child(at, "protocol"), protocol, ["SCTP", "TCP", "UDP"]));
    const key = `${p.port}/${protocol}`;
    if (keys.has(key)) out.push(duplicate(at, key));
    keys.add(key);
    const target = p.targetPort;
    if (typeof target === "number" && (target < 1 || target > 65535)) out.push(invalid(child(at, "targetPort"), target, "must be between 1 and 65535, inclusive"));
    if (typeof target === "string") {
      const problem = ianaNameProblem(target);
      if (problem) out.push(invalid(child(at, "targetPort"), target, problem));
    }
  });
  checkLabels("spec.selector", spec.selector, out);
}

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const DATA_MAX = 1024 * 1024;

/** Checks the keys of a data map; returns the size of its values (`bytes` of one value, as stored). */
function checkKeys(field: string, data: unknown, out: AdmissionCause[], seen = new Set<string>(), bytes = (v: string) => v.length): number {
  let size = 0;
  for (const [k, v] of Object.entries(obj(data) ?? {})) {
    if (!CONFIG_KEY.test(k) || k.length > 253) out.push(invalid(index(field, k), k, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"));
    if (seen.has(k)) out.push(duplicate(index(field, k), k));
    seen.add(k);
    size += typeof v === "string" ? bytes(v) : 0;
  }
  return size;
}

/** A Secret's data are base64 (the schema's `byte` format checks that); keys and size are checked here. */
function checkSecret(o: Obj, out: AdmissionCause[]): void {
  const decoded = (v: string) => Buffer.from(v, "base64").length;
  const size = checkKeys("data", o.data, out, new Set(), decoded) + checkKeys("stringData", o.stringData, out);
  if (size > DATA_MAX) out.push(tooLong("data", DATA_MAX));
}

function checkConfigMap(o: Obj, out: AdmissionCause[]): void {
  const seen = new Set<string>();
  const size = checkKeys("data", o.data, out, seen) + checkKeys("binaryData", o.binaryData, out, seen);
  if (size > DATA_MAX) out.push(tooLong("data", DATA_MAX));
}

const REPLICAS_KEY: Readonly<Record<string, string>> = { TFJob: "tfReplicaSpecs", PyTorchJob: "pytorchReplicaSpecs", MPIJob: "mpiReplicaSpecs" };
const DEFAULT_CONTAINER: Readonly<Record<string, string>> = { TFJob: "tensorflow", PyTorchJob: "pytorch" };

function checkKubeflow(o: Obj, out: AdmissionCause[]): void {
  const kind = String(o.kind);
  const key = REPLICAS_KEY[kind]!;
  const at = child("spec", key);
  const replicas = obj(obj(o.spec)?.[key]);
  if (!replicas) return void out.push(required(at, "must be required"));
  for (const [type, r] of Object.entries(replicas)) {
    const role = index(at, type);
    const template = obj(obj(r)?.template);
    checkPodTemplate(child(role, "template"), template, out);
    const containers = list(obj(template?.spec)?.containers);
    const main = DEFAULT_CONTAINER[kind];
    if (main && containers.length > 0 && !containers.some((c) => c.name === main)) out.push(required(child(role, "template.spec.containers"), `must have at least one container with name ${main}`));
    const count = obj(r)?.replicas;
    if (kind === "PyTorchJob") {
      if (!["Master", "Worker"].includes(type)) out.push(notSupported(role, type, ["Master", "Worker"]));
      if (type === "Master" && count !== 1) out.push(forbidden(child(role, "replicas"), "must be 1"));
      if (type === "Worker" && typeof count === "number" && count < 1) out.push(forbidden(child(role, "replicas"), "must be at least 1"));
    }
    if (kind === "MPIJob") {
      const policy = obj(r)?.restartPolicy;
      if (policy !== undefined && !["Never", "OnFailure"].includes(String(policy))) out.push(notSupported(child(role, "restartPolicy"), policy, ["Never", "OnFailure"]));
      if (type === "Launcher" && count !== undefined && count !== 1) out.push(invalid(child(role, "replicas"), count, "must be 1"));
      if (type === "Worker" && typeof count === "number" && count <= 0) out.push(invalid(child(role, "replicas"), count, "must be greater than or equal to 1"));
    }
  }
  if (kind === "TFJob" && Object.keys(replicas).filter((t) => ["Chief", "Master"].includes(t)).length > 1) out.push(forbidden(at, "must not have more than 1 Chief or Master role"));
  if (kind === "MPIJob") checkMpiJob(o, replicas, out);
}

function checkMpiJob(o: Obj, replicas: Obj, out: AdmissionCause[]): void {
  if (!replicas.Launcher) out.push(required("spec.mpiReplicaSpecs[Launcher]", "must have Launcher replica spec"));
  // its workers' host names are <name>-worker-<i>: each must be a DNS label
  const workers = obj(replicas.Worker)?.replicas;
  const last = `${String(obj(o.metadata)?.name)}-worker-${typeof workers === "number" && workers > 0 ? workers - 1 : 0}`;
  if (!DNS1123_LABEL.test(last) || last.length > 63) out.push(invalid("metadata.name", obj(o.metadata)?.name, `will not able to create pod with invalid DNS label "${last}": ${nameProblems(last, "dns1123-label").join(", ")}`));
  const spec = obj(o.spec) ?? {};
  nonNegative("spec.slotsPerWorker", spec.slotsPerWorker, out);
  const policy = obj(spec.runPolicy) ?? {};
  for (const k of ["ttlSecondsAfterFinished", "activeDeadlineSeconds", "backoffLimit"]) nonNegative(child("spec.runPolicy", k), policy[k], out);
}

const KIND_RULES: Readonly<Record<string, (o: Obj, out: AdmissionCause[]) => void>> = {
  Job: checkJob,
  Pod: checkPod,
  Service: checkService,
  Secret: checkSecret,
  ConfigMap: checkConfigMap,
  TFJob: checkKubeflow,
  PyTorchJob: checkKubeflow,
  MPIJob: checkKubeflow,
};

export function checkKind(o: Obj, out: AdmissionCause[]): void {
  KIND_RULES[String(o.kind)]?.(o, out);
}
