import { UserError } from "../../errors.js";
import type { ApiError, ApiRequest } from "./api-client.js";

/** What a request asks of RBAC: its verb, resource (with a subresource: `pods/log`), API group and namespace. */
export interface Access {
  readonly verb: string;
  readonly resource: string;
  readonly group: string;
  readonly namespace?: string;
}

/** `/api/v1/namespaces/ns/pods/x/log?follow=1` → get pods/log in ns; a collection GET is list, or watch with `watch`. */
export function accessOf(r: ApiRequest): Access {
  const parts = r.path.split("/").filter(Boolean).map(decodeURIComponent);
  const core = parts[0] === "api";
  const group = core ? "" : (parts[1] ?? "");
  let rest = parts.slice(core ? 2 : 3);
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural = "", name, sub] = rest;
  const watch = r.query?.watch === 1 || r.query?.watch === "1" || r.query?.watch === true || r.query?.watch === "true";
  const verb = r.method === "POST" ? "create" : r.method === "DELETE" ? "delete" : r.method === "PUT" ? "update" : r.method === "PATCH" ? "patch" : name ? "get" : watch ? "watch" : "list";
  return { verb, resource: sub ? `${plural}/${sub}` : plural, group, ...(namespace ? { namespace } : {}) };
}

/** What the user's role lacks, in words: verb, resource and namespace. */
export function forbiddenText(a: Access): string {
  const where = a.namespace ? `in namespace ${a.namespace}` : "in the cluster";
  const group = a.group ? ` of API group ${a.group}` : "";
  return `your role cannot ${a.verb} ${a.resource} ${where} (403 from the API server): ask for the '${a.verb}' verb on '${a.resource}'${group}`;
}

/**
 * A 403 as one clear message naming the verb, the resource and the
 * namespace the user's role lacks (from the request it answered; the
 * server's own words where the request is not known).
 */
export function forbidden(e: ApiError, what: string): UserError {
  if (!e.request) return UserError.of(`not allowed (403): ${e.message}`, { path: what, hint: "ask for RBAC permissions in this namespace, or use another --namespace" });
  return UserError.of(forbiddenText(accessOf(e.request)), { path: what });
}
