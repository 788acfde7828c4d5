import { createHash } from "node:crypto";

import { LABEL_VALUE } from "./dns.js";

export { DNS1035_LABEL, DNS1123_LABEL, DNS1123_SUBDOMAIN, LABEL_VALUE } from "./dns.js";

/**
 * Longest base name: Kubeflow names pods and Services `<name>-<role>-<index>`
 * (e.g. `-launcher-99`), Indexed Jobs give pods the host name `<job>-<index>`;
 * both must stay DNS-1035 labels of at most 63 characters.
 */
export const BASE_MAX = 45;

export function shortHash(text: string, n = 8): string {
  return createHash("sha256").update(text).digest("hex").slice(0, n);
}

/**
 * The name every object of a run starts with: the run id when it fits
 * (it is DNS-safe by construction), else its head and a hash of the whole,
 * so two long ids never share a name. Always starts with a letter.
 */
export function baseName(runId: string): string {
  let name = runId.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "");
  if (!/^[a-z]/.test(name)) name = `r-${name}`;
  if (name.length <= BASE_MAX) return name;
  return `${name.slice(0, BASE_MAX - 9).replace(/-+$/, "")}-${shortHash(runId)}`;
}

/** A container (or volume) name from a free-form one, e.g. an input called `train_data_dir`. */
export function dnsLabel(prefix: string, name: string, taken: Set<string>): string {
  const clean = `${prefix}-${name}`.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/-+/g, "-").replace(/^-+|-+$/g, "");
  let out = clean.length <= 63 ? clean : `${clean.slice(0, 54).replace(/-+$/, "")}-${shortHash(name)}`;
  for (let i = 2; taken.has(out); i++) out = `${clean.slice(0, 58).replace(/-+$/, "")}-${i}`;
  taken.add(out);
  return out;
}

/** A label value from free text (component versions, names): invalid characters become `-`, trimmed to 63. */
export function labelValue(text: string): string {
  const v = text.replace(/[^A-Za-z0-9_.-]+/g, "-").slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
  return LABEL_VALUE.test(v) ? v : "";
}

/** The labels and annotations the backend writes and selects by. */
export const LABEL = {
  managedBy: "app.kubernetes.io/managed-by",
  name: "app.kubernetes.io/name",
  version: "app.kubernetes.io/version",
  runId: "aves2.io/run-id",
  component: "aves2.io/component",
  role: "aves2.io/role",
  /** On the one object whose state is the run's (and that the others are owned by). */
  primary: "aves2.io/primary",
  /**
   * On every pod (its template): which submission of the run it belongs to.
   * Pods of a deleted attempt linger until the garbage collector and their
   * grace period are done; the run reads only the current attempt's.
   */
  attempt: "aves2.io/attempt",
} as const;

export const ANNOTATION = {
  paramsHash: "aves2.io/params-hash",
  runName: "aves2.io/run-name",
  createdAt: "aves2.io/created-at",
  /** On a Secret rendered without its data: where submit fills it from. */
  dataFrom: "aves2.io/data-from",
} as const;

export const MANAGED_BY = "aves2";

/** A stable digest of the params: the same params give the same hash, whatever their order. */
export function paramsHash(params: Readonly<Record<string, unknown>>): string {
  const sorted = Object.keys(params)
    .sort()
    .map((k) => [k, params[k]]);
  return shortHash(JSON.stringify(sorted), 16);
}

/**
 * Kubernetes expands `$(VAR)` in command, args and env values, and turns
 * `$$` into `$`. User data (params, paths, URIs) must reach the process as
 * it was typed, so each `$` that starts one of those is doubled.
 */
export function literal(text: string): string {
  return text.replace(/\$(?=[$(])/g, "$$$$");
}
