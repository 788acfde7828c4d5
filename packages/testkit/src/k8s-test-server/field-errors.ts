import type { FieldCause } from "./types.js";

/**
 * The field errors of the Kubernetes API (apimachinery's `field.Error`), as
 * the causes of a 422 Invalid carry them: a reason, the field's path and the
 * message the API writes (`Required value`, `Invalid value: "x": ...`).
 */

export interface AdmissionCause extends FieldCause {
  readonly reason: string;
  readonly field: string;
}

/** How the API prints a bad value: strings quoted, the rest as JSON. */
export function shown(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : v === undefined ? "null" : JSON.stringify(v);
}

export const required = (field: string, detail?: string): AdmissionCause => ({ reason: "FieldValueRequired", field, message: detail ? `Required value: ${detail}` : "Required value" });
export const invalid = (field: string, value: unknown, detail: string): AdmissionCause => ({ reason: "FieldValueInvalid", field, message: `Invalid value: ${shown(value)}: ${detail}` });
export const typeInvalid = (field: string, value: unknown, detail: string): AdmissionCause => ({ reason: "FieldValueTypeInvalid", field, message: `Invalid value: ${shown(value)}: ${detail}` });
export const duplicate = (field: string, value: unknown): AdmissionCause => ({ reason: "FieldValueDuplicate", field, message: `Duplicate value: ${shown(value)}` });
export const notFound = (field: string, value: unknown): AdmissionCause => ({ reason: "FieldValueNotFound", field, message: `Not found: ${shown(value)}` });
export const forbidden = (field: string, detail: string): AdmissionCause => ({ reason: "FieldValueForbidden", field, message: `Forbidden: ${detail}` });
export const tooLong = (field: string, max: number): AdmissionCause => ({ reason: "FieldValueTooLong", field, message: `Too long: must have at most ${max} bytes` });
export const notSupported = (field: string, value: unknown, supported: readonly string[]): AdmissionCause => ({
  reason: "FieldValueNotSupported",
  field,
  message: `Unsupported value: ${shown(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(", ")}`,
});
/** A field the kind does not have, refused as `fieldValidation=Strict` refuses it (the default, Warn, would drop it silently). */
export const unknownField = (field: string): AdmissionCause => ({ reason: "FieldValueInvalid", field, message: "field not declared in schema" });

/** `spec.containers[0].name`, `spec.pytorchReplicaSpecs[Master]`: the API's way of writing a field's path. */
export const child = (path: string, key: string): string => (path ? `${path}.${key}` : key);
export const index = (path: string, i: number | string): string => `${path}[${i}]`;
