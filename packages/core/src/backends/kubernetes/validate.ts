import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { ErrorObject, ValidateFunction } from "ajv";
import { type Problem, UserError } from "../../errors.js";
import { formatPointer } from "../../key-path.js";
import { DNS1035_LABEL, DNS1123_LABEL, DNS1123_SUBDOMAIN, LABEL_VALUE } from "./names.js";
import { CRD_OPTIONS, CRD_VERSIONS, podTemplateOf } from "./crd-schemas.js";
import { KINDS, type K8sObject } from "./objects.js";

/**
 * Every object is checked before anything is sent: core kinds against the
 * Kubernetes OpenAPI (kubernetes-models), Kubeflow kinds against their CRDs
 * (ajv), plus what those schemas do not catch (names, kinds, misspelled
 * fields: the schemas have no `additionalProperties: false`). The CRDs are
 * parsed and compiled on first use only, and cached.
 */

export const CRD_DIR = fileURLToPath(new URL("../../../schemas/crds/", import.meta.url));

/** The validators compiled at build time (dist only; from source, they are compiled on first use). */
type Precompiled = Readonly<Record<"TFJob" | "PyTorchJob" | "MPIJob" | "PodTemplate", ValidateFunction>>;
let precompiled: Precompiled | null | undefined;
function prebuilt(name: keyof Precompiled): ValidateFunction | undefined {
  if (precompiled === undefined) {
    try {
      precompiled = createRequire(import.meta.url)("./crd-validators.cjs") as Precompiled;
    } catch {
      precompiled = null;
    }
  }
  return precompiled?.[name];
}

type Schema = { [k: string]: unknown };
const schemas = new Map<string, Schema>();
const compiled = new Map<string, ValidateFunction>();

async function crdSchema(kind: string): Promise<Schema> {
  const hit = schemas.get(kind);
  if (hit) return hit;
  const { file, version } = CRD_VERSIONS[kind]!;
  const { load } = await import("js-yaml");
  const crd = load(readFileSync(`${CRD_DIR}${file}`, "utf8")) as { spec: { versions: { name: string; schema: { openAPIV3Schema: Schema } }[] } };
  const v = crd.spec.versions.find((x) => x.name === version);
  if (!v) throw new Error(`${file} has no version ${version}`);
  schemas.set(kind, v.schema.openAPIV3Schema);
  return v.schema.openAPIV3Schema;
}

let ajvInstance: import("ajv").Ajv | undefined;
async function ajv(): Promise<import("ajv").Ajv> {
  if (ajvInstance) return ajvInstance;
  const { Ajv } = await import("ajv");
  const formats = await import("ajv-formats");
  const a = new Ajv({ ...CRD_OPTIONS });
  const add = ((formats as unknown as { default?: unknown }).default ?? formats) as (a: import("ajv").Ajv) => void;
  add(a);
  ajvInstance = a;
  return a;
}

async function crdValidator(kind: string): Promise<ValidateFunction> {
  const hit = compiled.get(kind) ?? prebuilt(kind as keyof Precompiled);
  if (hit) return hit;
  const fn = (await ajv()).compile(await crdSchema(kind));
  compiled.set(kind, fn);
  return fn;
}

function ajvProblems(o: K8sObject, errors: readonly ErrorObject[], prefix = ""): Problem[] {
  const seen = new Set<string>();
  const out: Problem[] = [];
  for (const e of errors) {
    // anyOf branches (int-or-string) repeat themselves: one line per field
    const where = formatPointer(prefix + e.instancePath) || "(object)";
    const missing = e.keyword === "required" ? `.${(e.params as { missingProperty: string }).missingProperty}` : "";
    const key = `${where}${missing}`;
    if (seen.has(key) || e.keyword === "anyOf") continue;
    seen.add(key);
    out.push({ path: `${o.kind} ${o.metadata?.name ?? "?"}`, message: `${key}: ${e.keyword === "required" ? "is required" : e.message}` });
  }
  return out;
}

/** Fields the schema does not know, where the schema lists every field (no preserve-unknown-fields). */
export function unknownFields(value: unknown, schema: Schema | undefined, path: string, out: string[]): void {
  if (!schema || value === null || typeof value !== "object") return;
  if (schema["x-kubernetes-preserve-unknown-fields"]) return;
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) unknownFields(v, schema.items as Schema | undefined, `${path}[${i}]`, out);
    return;
  }
  const props = schema.properties as Record<string, Schema> | undefined;
  const extra = schema.additionalProperties as Schema | boolean | undefined;
  for (const [k, v] of Object.entries(value)) {
    const sub = props?.[k] ?? (typeof extra === "object" ? extra : undefined);
    if (!sub) {
      if (props && extra === undefined) out.push(path ? `${path}.${k}` : k);
      continue;
    }
    unknownFields(v, sub, path ? `${path}.${k}` : k, out);
  }
}

/** The full PodTemplateSpec schema (as the CRDs embed it), for Jobs' templates too. */
async function podTemplateSchema(): Promise<Schema> {
  return podTemplateOf(await crdSchema("TFJob"));
}

let templateFn: ValidateFunction | undefined;
async function templateValidator(): Promise<ValidateFunction> {
  templateFn ??= prebuilt("PodTemplate") ?? (await ajv()).compile(await podTemplateSchema());
  return templateFn;
}

/** The top-level fields of the core kinds we render (their pod templates are checked against the full schema). */
const CORE_FIELDS: Readonly<Record<string, { top: readonly string[]; spec?: readonly string[] }>> = {
  Job: {
    top: ["apiVersion", "kind", "metadata", "spec"],
    spec: ["activeDeadlineSeconds", "backoffLimit", "backoffLimitPerIndex", "completionMode", "completions", "managedBy", "manualSelector", "maxFailedIndexes", "parallelism", "podFailurePolicy", "podReplacementPolicy", "selector", "successPolicy", "suspend", "template", "ttlSecondsAfterFinished"],
  },
  Service: {
    top: ["apiVersion", "kind", "metadata", "spec"],
    spec: ["clusterIP", "clusterIPs", "externalName", "externalTrafficPolicy", "internalTrafficPolicy", "ipFamilies", "ipFamilyPolicy", "ports", "publishNotReadyAddresses", "selector", "sessionAffinity", "type"],
  },
  Secret: { top: ["apiVersion", "kind", "metadata", "data", "stringData", "type", "immutable"] },
  ConfigMap: { top: ["apiVersion", "kind", "metadata", "data", "binaryData", "immutable"] },
};
const META_FIELDS = ["name", "namespace", "labels", "annotations", "ownerReferences", "generateName", "finalizers"];

const MODEL_MODULES: Readonly<Record<string, () => Promise<{ validate(o: unknown): void }>>> = {
  Job: async () => {
    const { Job } = await import("kubernetes-models/batch/v1/Job");
    return { validate: (o) => new Job(o as ConstructorParameters<typeof Job>[0]).validate() };
  },
  Service: async () => {
    const { Service } = await import("kubernetes-models/v1/Service");
    return { validate: (o) => new Service(o as ConstructorParameters<typeof Service>[0]).validate() };
  },
  Secret: async () => {
    const { Secret } = await import("kubernetes-models/v1/Secret");
    return { validate: (o) => new Secret(o as ConstructorParameters<typeof Secret>[0]).validate() };
  },
  ConfigMap: async () => {
    const { ConfigMap } = await import("kubernetes-models/v1/ConfigMap");
    return { validate: (o) => new ConfigMap(o as ConstructorParameters<typeof ConfigMap>[0]).validate() };
  },
};

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : undefined);
const asArr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

/** Every pod spec in an object, with its path: a Job's template, each Kubeflow replica's template. */
export function podSpecs(o: K8sObject): { path: string; spec: Obj }[] {
  const spec = asObj(o.spec);
  if (!spec) return [];
  if (o.kind === "Job") {
    const s = asObj(asObj(spec.template)?.spec);
    return s ? [{ path: "spec.template.spec", spec: s }] : [];
  }
  const key = o.kind === "TFJob" ? "tfReplicaSpecs" : o.kind === "PyTorchJob" ? "pytorchReplicaSpecs" : o.kind === "MPIJob" ? "mpiReplicaSpecs" : undefined;
  if (!key) return [];
  return Object.entries(asObj(spec[key]) ?? {}).flatMap(([type, r]) => {
    const s = asObj(asObj(asObj(r)?.template)?.spec);
    return s ? [{ path: `spec.${key}.${type}.template.spec`, spec: s }] : [];
  });
}

/** What no schema here checks: names, kinds, label syntax, container/volume/env names, mounts of undeclared volumes. */
export function ownChecks(o: K8sObject): Problem[] {
  const problems: Problem[] = [];
  const where = `${o.kind ?? "?"} ${o.metadata?.name ?? "?"}`;
  const bad = (message: string, hint?: string) => problems.push({ path: where, message, ...(hint ? { hint } : {}) });
  const known = KINDS[o.kind];
  if (!known || !["Job", "Service", "Secret", "ConfigMap", "TFJob", "PyTorchJob", "MPIJob"].includes(o.kind)) {
    bad(`kind "${o.kind}" is not one this backend creates`);
    return problems;
  }
  if (o.apiVersion !== known.apiVersion) bad(`apiVersion "${o.apiVersion}" is wrong for ${o.kind}`, `use ${known.apiVersion}`);
  const name = o.metadata?.name ?? "";
  // Services, and everything Kubeflow turns into Services and host names, must start with a letter
  const dns1035 = ["Service", "TFJob", "PyTorchJob", "MPIJob"].includes(o.kind);
  if (o.kind === "Secret" || o.kind === "ConfigMap" ? !DNS1123_SUBDOMAIN.test(name) : !(dns1035 ? DNS1035_LABEL : DNS1123_LABEL).test(name) || name.length > 63) {
    bad(`metadata.name: "${name}" is not a valid ${o.kind} name`, dns1035 ? "a DNS-1035 label: a-z, 0-9 and '-', at most 63, starting with a letter" : "a DNS-1123 name: a-z, 0-9, '-', at most 63");
  }
  if (o.metadata?.namespace !== undefined && (!DNS1123_LABEL.test(o.metadata.namespace) || o.metadata.namespace.length > 63)) bad(`metadata.namespace: "${o.metadata.namespace}" is not a valid namespace`);
  for (const k of Object.keys(o.metadata ?? {})) if (!META_FIELDS.includes(k)) bad(`metadata.${k}: unknown field`);
  for (const [k, v] of Object.entries(o.metadata?.labels ?? {})) {
    if (!LABEL_KEY.test(k)) bad(`metadata.labels: "${k}" is not a valid label key`);
    if (typeof v !== "string" || !LABEL_VALUE.test(v) || v.length > 63) bad(`metadata.labels.${k}: "${v}" is not a valid label value`);
  }
  const core = CORE_FIELDS[o.kind];
  if (core) {
    for (const k of Object.keys(o)) if (!core.top.includes(k)) bad(`${k}: unknown field`);
    if (core.spec) for (const k of Object.keys(asObj(o.spec) ?? {})) if (!core.spec.includes(k)) bad(`spec.${k}: unknown field`);
  }
  for (const { path, spec } of podSpecs(o)) {
    const volumes = new Set(asArr(spec.volumes).map((v) => String(v.name)));
    for (const v of asArr(spec.volumes)) if (!DNS1123_LABEL.test(String(v.name)) || String(v.name).length > 63) bad(`${path}.volumes: "${v.name}" is not a valid volume name`);
    const names = new Set<string>();
    for (const group of ["initContainers", "containers"] as const) {
      asArr(spec[group]).forEach((c, i) => {
        const at = `${path}.${group}[${i}]`;
        const cname = String(c.name ?? "");
        if (!DNS1123_LABEL.test(cname) || cname.length > 63) bad(`${at}.name: "${cname}" is not a valid container name`);
        if (names.has(cname)) bad(`${at}.name: "${cname}" is used twice in one pod`);
        names.add(cname);
        if (!c.image) bad(`${at}.image: is required`);
        asArr(c.env).forEach((e, j) => {
          if (!ENV_NAME.test(String(e.name ?? ""))) bad(`${at}.env[${j}].name: "${e.name}" is not a valid variable name`);
        });
        asArr(c.volumeMounts).forEach((m, j) => {
          if (!volumes.has(String(m.name))) bad(`${at}.volumeMounts[${j}]: mounts "${m.name}", which is not a volume of the pod`);
        });
      });
    }
  }
  if (o.kind === "Job" && asObj(o.spec)?.completionMode === "Indexed" && name.length > 56) bad("metadata.name: too long for an Indexed Job whose pods need host names (at most 56)");
  return problems;
}

/** Checks every object; throws one UserError naming each field that is wrong. Nothing is sent before this passes. */
export async function validateObjects(objects: readonly K8sObject[]): Promise<void> {
  const problems: Problem[] = [];
  const template = objects.some((o) => o.kind === "Job") ? await podTemplateSchema() : undefined;
  for (const o of objects) {
    const own = ownChecks(o);
    problems.push(...own);
    if (own.some((p) => p.message.includes("is not one this backend creates"))) continue;
    const where = `${o.kind} ${o.metadata?.name ?? "?"}`;
    const unknown: string[] = [];
    if (CRD_VERSIONS[o.kind]) {
      const fn = await crdValidator(o.kind);
      if (!fn(o)) problems.push(...ajvProblems(o, fn.errors ?? []));
      unknownFields({ spec: o.spec }, await crdSchema(o.kind), "", unknown);
    } else {
      const model = await MODEL_MODULES[o.kind]!();
      try {
        model.validate(o);
      } catch (e) {
        const errors = (e as { errors?: ErrorObject[] }).errors;
        if (!errors) throw e;
        problems.push(...ajvProblems(o, errors));
      }
      if (o.kind === "Job") {
        // kubernetes-models' Quantity takes numbers (the API does not: cpu 0.5 is a 400): check the
        // pod template against the PodTemplateSpec schema the CRDs embed, which is the API's
        const fn = await templateValidator();
        const tpl = asObj(o.spec)?.template;
        if (tpl !== undefined && !fn(tpl)) problems.push(...ajvProblems(o, fn.errors ?? [], "/spec/template"));
        unknownFields(tpl, template, "spec.template", unknown);
      }
    }
    for (const u of unknown) problems.push({ path: where, message: `${u}: unknown field` });
  }
  if (problems.length > 0) throw new UserError(problems);
}
