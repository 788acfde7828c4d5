import { readFileSync } from "node:fs";
import type { Ajv, ErrorObject, ValidateFunction } from "ajv";
import { type AdmissionCause, child, duplicate, index, invalid, notSupported, required, typeInvalid, unknownField } from "./field-errors.js";

/**
 * What an API server does with a custom resource before storing it: its
 * CRD's structural schema (types, formats, enums, patterns, required fields,
 * defaults), list-type uniqueness, and unknown fields. The CRDs are the
 * official Kubeflow ones the repository keeps (packages/core/schemas/crds/:
 * data, not code); each is parsed and compiled on first use only, and cached.
 */

const CRD_DIR = new URL("../../../core/schemas/crds/", import.meta.url);

export const CRDS: Readonly<Record<string, { file: string; version: string }>> = {
  TFJob: { file: "kubeflow.org_tfjobs.yaml", version: "v1" },
  PyTorchJob: { file: "kubeflow.org_pytorchjobs.yaml", version: "v1" },
  MPIJob: { file: "kubeflow.org_mpijobs.yaml", version: "v2beta1" },
};

export type Schema = { readonly [k: string]: unknown };

const schemas = new Map<string, Schema>();
const validators = new Map<string, ValidateFunction>();

/** The openAPIV3Schema of a kind's CRD, at the version the backend writes. */
export async function crdSchema(kind: string): Promise<Schema> {
  const hit = schemas.get(kind);
  if (hit) return hit;
  const { file, version } = CRDS[kind]!;
  const { load } = await import("js-yaml");
  const crd = load(readFileSync(new URL(file, CRD_DIR), "utf8")) as { spec: { versions: { name: string; schema: { openAPIV3Schema: Schema } }[] } };
  const v = crd.spec.versions.find((x) => x.name === version);
  if (!v) throw new Error(`${file} has no version ${version}`);
  schemas.set(kind, v.schema.openAPIV3Schema);
  return v.schema.openAPIV3Schema;
}

const props = (s: Schema | undefined): Record<string, Schema> => (s?.properties ?? {}) as Record<string, Schema>;

/** The PodTemplateSpec schema the Kubeflow CRDs embed: the same OpenAPI the API server has for core pods. */
export async function podTemplateSchema(): Promise<Schema> {
  const replica = props(props(await crdSchema("TFJob")).spec).tfReplicaSpecs?.additionalProperties as Schema;
  return props(replica).template!;
}

/**
 * Strict mode stays on: the `x-kubernetes-*` extensions are declared as
 * keywords ajv need not act on (list types and unknown fields are checked by
 * `structure` below; the only CEL rules in these CRDs compare with `oldSelf`,
 * which applies to updates, never to a create).
 */
let ajvInstance: Ajv | undefined;
async function ajv(): Promise<Ajv> {
  if (ajvInstance) return ajvInstance;
  const { Ajv } = await import("ajv");
  const formats = await import("ajv-formats");
  const a = new Ajv({ allErrors: true, strict: true, strictTypes: false, useDefaults: true, validateFormats: true });
  // with NodeNext resolution the CommonJS module's function is `default` (or the module itself)
  const addFormats = ((formats as unknown as { default?: unknown }).default ?? formats) as (a: Ajv) => void;
  addFormats(a);
  a.addVocabulary(["x-kubernetes-int-or-string", "x-kubernetes-list-type", "x-kubernetes-list-map-keys", "x-kubernetes-map-type", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource", "x-kubernetes-validations"]);
  ajvInstance = a;
  return a;
}

async function crdValidator(kind: string): Promise<ValidateFunction> {
  const hit = validators.get(kind);
  if (hit) return hit;
  const fn = (await ajv()).compile(await crdSchema(kind));
  validators.set(kind, fn);
  return fn;
}

/**
 * Checks a custom resource against its CRD, after the CRD's defaults are
 * applied (as the API server defaults before it validates): schema errors,
 * duplicates in list-type set/map lists, fields the schema does not declare.
 */
export async function validateCustomResource(o: Record<string, unknown>): Promise<{ schema: AdmissionCause[]; structure: AdmissionCause[] }> {
  const kind = String(o.kind);
  const schema = await crdSchema(kind);
  const defaulted = JSON.parse(JSON.stringify(o)) as Record<string, unknown>;
  const fn = await crdValidator(kind);
  const causes = fn(defaulted) ? [] : schemaCauses(fn.errors ?? [], defaulted, schema);
  // the object's metadata is ObjectMeta, checked as the API checks every kind's (the CRD says only `type: object`)
  const { metadata: _m, ...rest } = defaulted;
  const found: AdmissionCause[] = [];
  structure(rest, schema, "", found);
  return { schema: causes, structure: found };
}

/** Walks a value along its schema: the path as the API writes it, maps' keys in brackets. */
function walk(pointer: string, data: unknown, schema: Schema | undefined): { field: string; value: unknown } {
  let field = "";
  let value = data;
  let s = schema;
  for (const raw of pointer.split("/").slice(1)) {
    const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(value)) {
      field = index(field, seg);
      s = s?.items as Schema | undefined;
    } else if (s && !props(s)[seg] && typeof s.additionalProperties === "object") {
      field = index(field, seg);
      s = s.additionalProperties as Schema;
    } else {
      field = child(field, seg);
      s = props(s)[seg];
    }
    value = value && typeof value === "object" ? (value as Record<string, unknown>)[seg] : undefined;
  }
  return { field, value };
}

const jsonType = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v === "number" && Number.isInteger(v) ? "integer" : typeof v);

/**
 * ajv's errors as the API's causes, one per field: an int-or-string's
 * branches (`anyOf`, and kubernetes-models' `oneOf` for quantities) make one
 * cause, the pattern or format it failed when there is one.
 */
export function schemaCauses(errors: readonly ErrorObject[], data: unknown, schema?: Schema, hidden?: (field: string) => boolean): AdmissionCause[] {
  const groups = new Map<string, ErrorObject[]>();
  for (const e of errors) {
    const key = e.keyword === "required" ? `${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}` : e.instancePath;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  const out: AdmissionCause[] = [];
  for (const group of groups.values()) {
    const first = group[0]!;
    const at = walk(first.instancePath, data, schema);
    // a Secret's values never reach a message
    const value = hidden?.(at.field) ? "<hidden>" : at.value;
    if (first.keyword === "required") {
      out.push(required(child(at.field, (first.params as { missingProperty: string }).missingProperty)));
      continue;
    }
    const field = at.field || "(object)";
    const specific = group.find((e) => e.keyword === "pattern" || e.keyword === "format");
    const union = group.find((e) => e.keyword === "anyOf" || e.keyword === "oneOf");
    if (specific) {
      const p = specific.params as { pattern?: string; format?: string };
      out.push(invalid(field, value, p.pattern ? `in body should match '${p.pattern}'` : `in body must be of format ${p.format}`));
    } else if (union) {
      const types = group.filter((e) => e.keyword === "type").map((e) => (e.params as { type: string }).type);
      out.push(typeInvalid(field, jsonType(at.value), `in body must be of type ${types.join(" or ") || "(one of several)"}: ${JSON.stringify(value)}`));
    } else if (first.keyword === "type") {
      out.push(typeInvalid(field, jsonType(at.value), `in body must be of type ${(first.params as { type: string }).type}: ${JSON.stringify(value)}`));
    } else if (first.keyword === "enum") {
      out.push(notSupported(field, value, (first.params as { allowedValues: unknown[] }).allowedValues.map(String)));
    } else {
      out.push(invalid(field, value, `in body ${first.message ?? first.keyword}`));
    }
  }
  return out;
}

/**
 * What the schema's structure adds to its types: fields it does not declare
 * (where it does not preserve unknown fields), and, with `lists`, duplicates
 * in lists that are sets or maps keyed by some of their items' fields (the
 * API enforces those for custom resources; a core Pod may repeat a variable).
 */
export function structure(value: unknown, schema: Schema | undefined, path: string, out: AdmissionCause[], lists = true): void {
  if (!schema || value === null || typeof value !== "object" || schema["x-kubernetes-preserve-unknown-fields"]) return;
  if (Array.isArray(value)) {
    const listType = lists ? schema["x-kubernetes-list-type"] : undefined;
    const keys = (schema["x-kubernetes-list-map-keys"] ?? []) as string[];
    if (listType === "set" || listType === "map") {
      const seen = new Set<string>();
      value.forEach((item, i) => {
        const key = listType === "set" ? item : Object.fromEntries(keys.map((k) => [k, (item as Record<string, unknown>)?.[k]]));
        const text = JSON.stringify(key);
        if (seen.has(text)) out.push(duplicate(index(path, i), key));
        seen.add(text);
      });
    }
    value.forEach((item, i) => {
      structure(item, schema.items as Schema | undefined, index(path, i), out, lists);
    });
    return;
  }
  const declared = props(schema);
  const extra = schema.additionalProperties;
  for (const [k, v] of Object.entries(value)) {
    if (declared[k]) structure(v, declared[k], child(path, k), out, lists);
    else if (typeof extra === "object") structure(v, extra as Schema, index(path, k), out, lists);
    else if (extra !== true) out.push(unknownField(child(path, k)));
  }
}
