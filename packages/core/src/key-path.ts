/**
 * Key paths, the way every message names a place in a document (a manifest,
 * a job file, a Kubernetes object): `params[2].min`.
 */

/** `/params/2/min` (a JSON pointer) → `["params", 2, "min"]` */
export function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** `["params", 2, "min"]` → `params[2].min` */
export function formatPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((acc, p) => (typeof p === "number" ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), "");
}

/** `/spec/template/spec/containers/0/name` → `spec.template.spec.containers[0].name` (empty segments dropped). */
export function formatPointer(pointer: string): string {
  return formatPath(pointerToPath(pointer).filter((p) => p !== ""));
}
