import { type AdmissionCause, child, index, invalid, required, tooLong, unknownField } from "./field-errors.js";

/**
 * Names, labels and annotations, as apimachinery's validation checks them on
 * every object (no OpenAPI schema says any of this), with its messages.
 */

export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export type NameRule = "dns1123-label" | "dns1123-subdomain" | "dns1035-label";

const RULES: Readonly<Record<NameRule, { re: RegExp; max: number; says: string }>> = {
  "dns1123-label": {
    re: DNS1123_LABEL,
    max: 63,
    says: "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
  },
  "dns1123-subdomain": {
    re: DNS1123_SUBDOMAIN,
    max: 253,
    says: "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  },
  "dns1035-label": {
    re: DNS1035_LABEL,
    max: 63,
    says: "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
  },
};

/** The problems of a name under a rule, as the API words them (none when it is valid). */
export function nameProblems(name: string, rule: NameRule): string[] {
  const r = RULES[rule];
  const out: string[] = [];
  if (name.length > r.max) out.push(`must be no more than ${r.max} characters`);
  if (!r.re.test(name)) out.push(r.says);
  return out;
}

export function checkName(field: string, value: unknown, rule: NameRule, out: AdmissionCause[]): void {
  if (typeof value !== "string" || value === "") return void out.push(required(field));
  const problems = nameProblems(value, rule);
  if (problems.length) out.push(invalid(field, value, problems.join(", ")));
}

/** A label or annotation key: an optional DNS subdomain prefix and `/`, then a name of at most 63. */
function qualifiedNameProblems(key: string): string[] {
  const parts = key.split("/");
  if (parts.length > 2) return ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, with an optional DNS subdomain prefix and '/'"];
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]!];
  const out: string[] = [];
  if (prefix !== undefined) {
    if (prefix === "") out.push("prefix part must be non-empty");
    else out.push(...nameProblems(prefix, "dns1123-subdomain").map((p) => `prefix part ${p}`));
  }
  if (!name) out.push("name part must be non-empty");
  else {
    if (name.length > 63) out.push("name part must be no more than 63 characters");
    if (!QUALIFIED_NAME.test(name)) out.push("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
  }
  return out;
}

export function checkLabels(field: string, labels: unknown, out: AdmissionCause[]): void {
  if (!labels || typeof labels !== "object") return;
  for (const [k, v] of Object.entries(labels)) {
    const keyProblems = qualifiedNameProblems(k);
    if (keyProblems.length) out.push(invalid(field, k, keyProblems.join(", ")));
    if (typeof v !== "string") continue; // the schema's type check names it
    const problems: string[] = [];
    if (v.length > 63) problems.push("must be no more than 63 characters");
    if (!LABEL_VALUE.test(v)) problems.push("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
    if (problems.length) out.push(invalid(field, v, problems.join(", ")));
  }
}

const ANNOTATIONS_MAX = 256 * 1024;

export function checkAnnotations(field: string, annotations: unknown, out: AdmissionCause[]): void {
  if (!annotations || typeof annotations !== "object") return;
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) {
    const problems = qualifiedNameProblems(k.toLowerCase());
    if (problems.length) out.push(invalid(field, k, problems.join(", ")));
    size += k.length + (typeof v === "string" ? v.length : 0);
  }
  if (size > ANNOTATIONS_MAX) out.push(tooLong(field, ANNOTATIONS_MAX));
}

/** ObjectMeta's fields: the rest is refused as unknown. */
export const META_FIELDS: readonly string[] = ["name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers", "managedFields"];

/** An object's metadata: its name under the kind's rule, namespace, labels, annotations, owner references, fields. */
export function checkObjectMeta(meta: Record<string, unknown>, rule: NameRule, out: AdmissionCause[]): void {
  checkName("metadata.name", meta.name, rule, out);
  if (meta.namespace !== undefined) checkName("metadata.namespace", meta.namespace, "dns1123-label", out);
  checkLabels("metadata.labels", meta.labels, out);
  checkAnnotations("metadata.annotations", meta.annotations, out);
  const owners = Array.isArray(meta.ownerReferences) ? (meta.ownerReferences as Record<string, unknown>[]) : [];
  owners.forEach((r, i) => {
    for (const k of ["apiVersion", "kind", "name", "uid"]) if (!r?.[k]) out.push(required(child(index("metadata.ownerReferences", i), k)));
  });
  if (owners.filter((r) => r?.controller === true).length > 1) out.push(invalid("metadata.ownerReferences", owners.length, "Only one reference can have Controller set to true"));
  for (const k of Object.keys(meta)) if (!META_FIELDS.includes(k)) out.push(unknownField(child("metadata", k)));
}
