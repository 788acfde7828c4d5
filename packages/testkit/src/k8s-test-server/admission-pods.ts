import { checkAnnotations, checkLabels, checkName } from "./admission-meta.js";
import { type AdmissionCause, child, duplicate, forbidden, index, invalid, notFound, notSupported, required } from "./field-errors.js";

/**
 * What the API server's Go validation checks in a pod spec, beyond its
 * OpenAPI types: container, volume, port and variable names, that mounts
 * name volumes of the pod, resource quantities and their limits. On a Job
 * or a Pod the API refuses them at once; in a Kubeflow job's template the
 * operator's pods would be refused later, and the run would fail: here both
 * are refused when the object is created, naming the field.
 */

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : undefined);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map((x) => obj(x) ?? {}) : []);

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const QUANTITY = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))((?:[KMGTPE]i)|[numkMGTPE]|[eE][+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))?$/;
const SUFFIX: Readonly<Record<string, number>> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60, n: 1e-9, u: 1e-6, m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const NATIVE_RESOURCES = new Set(["cpu", "memory", "ephemeral-storage", "storage"]);

/** A quantity's value (`500m` is 0.5), or undefined where the API would not parse it. Numbers are quantities too: the API decodes `cpu: 0.5` in a core kind. */
export function quantityValue(q: unknown): number | undefined {
  if (typeof q === "number") return Number.isFinite(q) ? q : undefined;
  if (typeof q !== "string") return undefined;
  const m = QUANTITY.exec(q.trim());
  if (!m) return undefined;
  const suffix = m[2] ?? "";
  const scale = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : SUFFIX[suffix]!;
  return Number(m[1]) * scale;
}

/** An IANA service name: a container port's or a Service's target port's name. */
export function ianaNameProblem(name: string): string | undefined {
  if (name.length > 15) return "must be no more than 15 characters";
  if (!IANA_SVC_NAME.test(name)) return "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-), and must not start or end with a hyphen";
  if (name.includes("--")) return "must not contain consecutive hyphens";
  if (!/[a-z]/.test(name)) return "must contain at least one letter (a-z)";
  return undefined;
}

function checkResources(path: string, resources: Obj | undefined, out: AdmissionCause[]): void {
  if (!resources) return;
  const values: Record<"limits" | "requests", Map<string, { v: number; as: unknown }>> = { limits: new Map(), requests: new Map() };
  for (const which of ["limits", "requests"] as const) {
    for (const [name, q] of Object.entries(obj(resources[which]) ?? {})) {
      const field = index(child(path, which), name);
      const native = !name.includes("/") || name.startsWith("kubernetes.io/");
      if (native && !NATIVE_RESOURCES.has(name) && !name.startsWith("hugepages-")) out.push(invalid(field, name, "must be a standard resource type or fully qualified"));
      const v = quantityValue(q);
      if (v === undefined) {
        // kubernetes-models' quantity format takes more suffixes than the API (`5h`, `2da`)
        if (typeof q === "string") out.push(invalid(field, q, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"));
        continue;
      }
      if (v < 0) out.push(invalid(field, q, "must be greater than or equal to 0"));
      else if (!native && !Number.isInteger(v)) out.push(invalid(field, q, "must be an integer"));
      values[which].set(name, { v, as: q });
    }
  }
  for (const [name, req] of values.requests) {
    const limit = values.limits.get(name);
    const field = index(child(path, "requests"), name);
    const extended = name.includes("/") && !name.startsWith("kubernetes.io/");
    if (extended && limit === undefined) out.push(forbidden(field, "Limit must be set for non overcommitable resources"));
    else if (extended && limit?.v !== req.v) out.push(invalid(field, String(req.as), `must be equal to ${name} limit of ${String(limit?.as)}`));
    else if (limit !== undefined && req.v > limit.v) out.push(invalid(field, String(req.as), `must be less than or equal to ${name} limit of ${String(limit.as)}`));
  }
}

function checkEnv(path: string, c: Obj, out: AdmissionCause[]): void {
  list(c.env).forEach((e, j) => {
    const at = index(child(path, "env"), j);
    if (typeof e.name !== "string" || e.name === "") out.push(required(child(at, "name")));
    else if (!ENV_NAME.test(e.name)) {
      out.push(invalid(child(at, "name"), e.name, "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')"));
    }
    const from = obj(e.valueFrom);
    if (from && typeof e.value === "string" && e.value !== "") out.push(invalid(child(at, "valueFrom"), "", "may not be specified when `value` is not empty"));
    if (from && Object.keys(from).length !== 1) out.push(invalid(child(at, "valueFrom"), "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"));
  });
  list(c.envFrom).forEach((e, j) => {
    const sources = ["configMapRef", "secretRef"].filter((k) => e[k] !== undefined);
    if (sources.length !== 1) out.push(invalid(index(child(path, "envFrom"), j), "", "may not have more than one field specified at a time"));
    for (const k of sources) if (!obj(e[k])?.name) out.push(required(child(child(index(child(path, "envFrom"), j), k), "name")));
  });
}

function checkContainer(path: string, c: Obj, volumes: ReadonlySet<string>, out: AdmissionCause[]): void {
  checkName(child(path, "name"), c.name, "dns1123-label", out);
  if (typeof c.image !== "string" || c.image.trim() === "") out.push(required(child(path, "image")));
  checkEnv(path, c, out);
  const mountPaths = new Set<string>();
  list(c.volumeMounts).forEach((m, j) => {
    const at = index(child(path, "volumeMounts"), j);
    if (!m.name) out.push(required(child(at, "name")));
    else if (!volumes.has(String(m.name))) out.push(notFound(child(at, "name"), m.name));
    if (!m.mountPath) out.push(required(child(at, "mountPath")));
    else if (mountPaths.has(String(m.mountPath))) out.push(invalid(child(at, "mountPath"), m.mountPath, "must be unique"));
    mountPaths.add(String(m.mountPath));
  });
  const portNames = new Set<string>();
  list(c.ports).forEach((p, j) => {
    const at = index(child(path, "ports"), j);
    if (typeof p.containerPort === "number" && (p.containerPort < 1 || p.containerPort > 65535)) out.push(invalid(child(at, "containerPort"), p.containerPort, "must be between 1 and 65535, inclusive"));
    if (typeof p.name === "string") {
      const problem = ianaNameProblem(p.name);
      if (problem) out.push(invalid(child(at, "name"), p.name, problem));
      if (portNames.has(p.name)) out.push(duplicate(child(at, "name"), p.name));
      portNames.add(p.name);
    }
    if (p.protocol !== undefined && !["TCP", "UDP", "SCTP"].includes(String(p.protocol))) out.push(notSupported(child(at, "protocol"), p.protocol, ["SCTP", "TCP", "UDP"]));
  });
  checkResources(child(path, "resources"), obj(c.resources), out);
}

/**
 * A pod spec at `path`; `restartPolicies`, where the owner allows fewer than
 * a Pod does (a Job's pods: OnFailure or Never, and it must be said).
 */
export function checkPodSpec(path: string, spec: Obj, out: AdmissionCause[], restartPolicies?: readonly string[]): void {
  const volumes = new Set<string>();
  list(spec.volumes).forEach((v, i) => {
    const at = index(child(path, "volumes"), i);
    checkName(child(at, "name"), v.name, "dns1123-label", out);
    if (typeof v.name === "string" && volumes.has(v.name)) out.push(duplicate(child(at, "name"), v.name));
    volumes.add(String(v.name));
    const sources = Object.keys(v).filter((k) => k !== "name");
    if (sources.length === 0) out.push(required(at, "must specify a volume type"));
    if (sources.length > 1) out.push(forbidden(child(at, sources[1]!), "may not specify more than 1 volume type"));
  });
  if (list(spec.containers).length === 0) out.push(required(child(path, "containers")));
  const names = new Set<string>();
  for (const group of ["initContainers", "containers"] as const) {
    list(spec[group]).forEach((c, i) => {
      const at = index(child(path, group), i);
      checkContainer(at, c, volumes, out);
      if (typeof c.name === "string" && names.has(c.name)) out.push(duplicate(child(at, "name"), c.name));
      names.add(String(c.name));
    });
  }
  const allowed = restartPolicies ?? ["Always", "OnFailure", "Never"];
  if (spec.restartPolicy === undefined && restartPolicies) out.push(required(child(path, "restartPolicy"), `valid values: ${restartPolicies.map((p) => JSON.stringify(p)).join(", ")}`));
  else if (spec.restartPolicy !== undefined && !allowed.includes(String(spec.restartPolicy))) out.push(notSupported(child(path, "restartPolicy"), spec.restartPolicy, allowed));
  if (spec.hostname !== undefined) checkName(child(path, "hostname"), spec.hostname, "dns1123-label", out);
  if (spec.subdomain !== undefined) checkName(child(path, "subdomain"), spec.subdomain, "dns1123-label", out);
  if (spec.serviceAccountName !== undefined && spec.serviceAccountName !== "") checkName(child(path, "serviceAccountName"), spec.serviceAccountName, "dns1123-subdomain", out);
}

/** A pod template at `path` (its labels and annotations, then its spec). */
export function checkPodTemplate(path: string, template: Obj | undefined, out: AdmissionCause[], restartPolicies?: readonly string[]): void {
  if (!template) return void out.push(required(path));
  const meta = obj(template.metadata) ?? {};
  checkLabels(child(child(path, "metadata"), "labels"), meta.labels, out);
  checkAnnotations(child(child(path, "metadata"), "annotations"), meta.annotations, out);
  const spec = obj(template.spec);
  if (!spec) return void out.push(required(child(path, "spec")));
  checkPodSpec(child(path, "spec"), spec, out, restartPolicies);
}
