import type { ErrorObject } from "ajv";
import { CRDS, podTemplateSchema, type Schema, schemaCauses, structure, validateCustomResource } from "./admission-crds.js";
import { checkCoreFields, checkKind, NAME_RULE } from "./admission-kinds.js";
import { checkObjectMeta, META_FIELDS } from "./admission-meta.js";
import { type AdmissionCause, required } from "./field-errors.js";
import { apiVersionOf, type K8sObj, KINDS } from "./types.js";

export type { AdmissionCause } from "./field-errors.js";

/**
 * The Kubernetes test server's admission: what a real API server (with the
 * Kubeflow operators installed) says about an object posted to it, written
 * from the Kubernetes and Kubeflow schemas and rules, independently of the
 * backend under test (nothing here comes from @aves2/core):
 *
 * - Kubeflow kinds against the official CRDs (ajv, their defaults applied);
 *   core kinds against the Kubernetes OpenAPI (kubernetes-models);
 * - what no schema says: names (DNS-1123/1035), labels, annotations, known
 *   kind and apiVersion, container/volume/port/variable names, quantities
 *   and limits, mounts of the pod's volumes, each kind's own rules;
 * - fields the kind does not have, refused as `fieldValidation=Strict`
 *   refuses them (a real server by default keeps the object and drops them
 *   with a warning: a field the backend means would be lost silently).
 *
 * Its causes make the server's 422 Invalid (`details.causes[]`: reason,
 * field, message), as the API's field errors do.
 */
export async function kubernetesAdmission(o: K8sObj): Promise<AdmissionCause[]> {
  if (!o || typeof o !== "object" || Array.isArray(o)) return [required("(object)", "an object is required")];
  const kind = KINDS.find((k) => k.kind === o.kind);
  if (!kind) return [{ reason: "FieldValueNotSupported", field: "kind", message: `Unsupported value: ${JSON.stringify(o.kind ?? null)}: no kind "${o.kind}" is registered` }];
  const rules: AdmissionCause[] = [];
  if (o.apiVersion !== apiVersionOf(kind)) {
    rules.push({ reason: "FieldValueInvalid", field: "apiVersion", message: `Invalid value: ${JSON.stringify(o.apiVersion ?? null)}: ${kind.kind} is served as ${apiVersionOf(kind)}` });
  }
  const meta = o.metadata && typeof o.metadata === "object" ? (o.metadata as Record<string, unknown>) : undefined;
  if (!meta) rules.push(required("metadata"));
  else checkObjectMeta(meta, NAME_RULE[kind.kind] ?? "dns1123-subdomain", rules);
  let schema: AdmissionCause[];
  if (CRDS[kind.kind]) {
    const crd = await validateCustomResource(o);
    schema = crd.schema;
    rules.push(...crd.structure);
  } else {
    schema = await coreSchemaCauses(o);
    checkCoreFields(o, rules);
    await coreStructure(o, rules);
  }
  checkKind(o, rules);
  // one cause per field: where the schema named a field (a missing name, a malformed quantity), the rules' word on it adds nothing
  const named = new Set(schema.map((c) => c.field));
  return dedupe([...schema, ...rules.filter((c) => !named.has(c.field))]);
}

type Model = { validate(o: unknown): void };
const MODELS: Readonly<Record<string, () => Promise<new (o: never) => { validate(): void }>>> = {
  Job: async () => (await import("kubernetes-models/batch/v1/Job")).Job,
  Pod: async () => (await import("kubernetes-models/v1/Pod")).Pod,
  Service: async () => (await import("kubernetes-models/v1/Service")).Service,
  Secret: async () => (await import("kubernetes-models/v1/Secret")).Secret,
  ConfigMap: async () => (await import("kubernetes-models/v1/ConfigMap")).ConfigMap,
  PersistentVolumeClaim: async () => (await import("kubernetes-models/v1/PersistentVolumeClaim")).PersistentVolumeClaim,
  Namespace: async () => (await import("kubernetes-models/v1/Namespace")).Namespace,
  Node: async () => (await import("kubernetes-models/v1/Node")).Node,
};

async function model(kind: string): Promise<Model> {
  const M = await MODELS[kind]!();
  return { validate: (o) => new M(o as never).validate() };
}

/** A core kind against the Kubernetes OpenAPI; the paths of its pod templates written as the API writes them. */
async function coreSchemaCauses(o: K8sObj): Promise<AdmissionCause[]> {
  try {
    (await model(String(o.kind))).validate(o);
    return [];
  } catch (e) {
    const errors = (e as { errors?: ErrorObject[] }).errors;
    if (!errors) throw e;
    const hidden = o.kind === "Secret" ? (field: string) => /^(data|stringData)\b/.test(field) : undefined;
    return schemaCauses(errors, o, await pathSchema(String(o.kind)), hidden);
  }
}

const MAP: Schema = { additionalProperties: {} };
const META: Schema = { properties: { labels: MAP, annotations: MAP } };

/** Enough of a core kind's schema to write its fields' paths as the API does: maps' keys in brackets (`limits[cpu]`, `data[key]`). */
async function pathSchema(kind: string): Promise<Schema> {
  const template = kind === "Job" || kind === "Pod" ? await podTemplateSchema() : undefined;
  const spec: Record<string, Schema> = {
    Job: { properties: { template: template!, selector: MAP } },
    Pod: (template?.properties as Record<string, Schema> | undefined)?.spec ?? {},
    Service: { properties: { selector: MAP } },
  };
  return { properties: { metadata: META, spec: spec[kind] ?? {}, data: MAP, stringData: MAP, binaryData: MAP } };
}

const OBJECT_META: Schema = { properties: Object.fromEntries(META_FIELDS.map((f) => [f, { "x-kubernetes-preserve-unknown-fields": true }])) };

/**
 * Unknown fields in a core kind's pod spec, against the full PodSpec schema
 * (the Kubeflow CRDs embed the API's); a template's metadata is a whole
 * ObjectMeta there, where the CRDs list only some of its fields.
 */
async function coreStructure(o: K8sObj, out: AdmissionCause[]): Promise<void> {
  const spec = o.spec as Record<string, unknown> | undefined;
  if (!spec || typeof spec !== "object") return;
  const template = await podTemplateSchema();
  const podSpec = (template.properties as Record<string, Schema>).spec;
  if (o.kind === "Job" && spec.template !== undefined) structure(spec.template, { ...template, properties: { metadata: OBJECT_META, spec: podSpec } }, "spec.template", out, false);
  if (o.kind === "Pod") structure(spec, podSpec, "spec", out, false);
}

/** One cause per field and message (a schema and a rule may both see the same thing). */
function dedupe(causes: AdmissionCause[]): AdmissionCause[] {
  const seen = new Set<string>();
  return causes.filter((c) => {
    const key = `${c.field}\u0000${c.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
