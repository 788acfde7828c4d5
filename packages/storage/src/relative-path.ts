import { isAbsolute, relative, resolve, sep } from "node:path";

/**
 * Names that come from outside (object keys, archive entries) become paths
 * under a target folder only through here: each one must stay inside it.
 * Returns why `rel` is unsafe, or undefined when it is fine.
 */
export function unsafeRelative(rel: string): string | undefined {
  if (rel === "") return "is empty";
  if (rel.includes("\0")) return "contains a NUL byte";
  if (rel.startsWith("/") || isAbsolute(rel) || /^[a-zA-Z]:[\\/]/.test(rel)) return "is an absolute path";
  const parts = rel.split("/");
  if (parts.includes("..")) return "goes up with ..";
  if (parts.some((p, i) => p === "" && i < parts.length - 1)) return "has an empty path segment (//)";
  return undefined;
}

/** Whether `target` is `root` or under it (lexically). */
export function isInside(root: string, target: string): boolean {
  const r = relative(resolve(root), resolve(target));
  return r === "" || (!r.startsWith(`..${sep}`) && r !== ".." && !isAbsolute(r));
}
