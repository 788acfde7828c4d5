import { type Problem, UserError } from "../../errors.js";
import { DNS1123_LABEL, DNS1123_SUBDOMAIN } from "./names.js";

export const K8S_ENGINES = ["kubeflow", "native"] as const;
export type K8sEngine = (typeof K8S_ENGINES)[number];

/** What a user chose for a Kubernetes run (flags); everything else is resolved from kubeconfig and the cluster. */
export interface KubernetesOptions {
  /** A kubeconfig context; unset = the current one. */
  readonly context?: string;
  /** `kubeflow` (the training operators' CRDs), `native` (Indexed Jobs + a headless Service); unset = detect. */
  readonly engine?: K8sEngine;
  /** A Secret (in the run's namespace) with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY for s3:// data. */
  readonly s3Secret?: string;
  /** Create that Secret for this run from the local S3 credentials (deleted with the run). */
  readonly createSecret?: boolean;
  /** activeDeadlineSeconds of the job. */
  readonly timeoutSeconds?: number;
  /** backoffLimit: how often a failed pod is started again (default 0). */
  readonly retries?: number;
  /** false = `--no-preflight`. */
  readonly preflight?: boolean;
  /** The image of the staging containers (init + uploader); default: this version's. */
  readonly stagingImage?: string;
}

/** The flags as the CLI parsed them (strings), before checking. */
export interface KubernetesFlags {
  readonly context?: string;
  readonly k8sEngine?: string;
  readonly s3Secret?: string;
  readonly createSecret?: boolean;
  readonly timeout?: string;
  readonly retries?: string;
  readonly preflight?: boolean;
  readonly stagingImage?: string;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `90`, `90s`, `30m`, `2h`, `1d`, `1h30m` → seconds. */
export function parseDuration(raw: string, what: string): number {
  const s = raw.trim();
  let total = 0;
  if (/^\d+$/.test(s)) total = Number(s);
  else {
    const re = /(\d+)([smhd])/gy;
    let consumed = 0;
    for (let m = re.exec(s); m !== null; m = re.exec(s)) {
      total += Number(m[1]) * UNITS[m[2]!]!;
      consumed = re.lastIndex;
    }
    if (consumed !== s.length || consumed === 0) throw UserError.of(`"${raw}" is not a duration`, { path: what, hint: "e.g. 3600, 90m, 2h, 1h30m, 1d" });
  }
  if (total < 1 || total > 2_147_483_647) throw UserError.of(`"${raw}" is out of range`, { path: what, hint: "between 1 second and about 68 years" });
  return total;
}

/** Flags → options, every problem at once. Pure. */
export function kubernetesOptionsFromFlags(f: KubernetesFlags): KubernetesOptions | undefined {
  const problems: Problem[] = [];
  const out: { -readonly [K in keyof KubernetesOptions]: KubernetesOptions[K] } = {};
  if (f.context !== undefined) {
    if (!f.context.trim()) problems.push({ path: "--context", message: "is empty" });
    else out.context = f.context;
  }
  if (f.k8sEngine !== undefined && f.k8sEngine !== "auto") {
    if (!(K8S_ENGINES as readonly string[]).includes(f.k8sEngine)) problems.push({ path: "--k8s-engine", message: `unknown engine "${f.k8sEngine}"`, hint: "kubeflow, native or auto" });
    else out.engine = f.k8sEngine as K8sEngine;
  }
  if (f.s3Secret !== undefined) {
    if (!DNS1123_SUBDOMAIN.test(f.s3Secret)) problems.push({ path: "--s3-secret", message: `"${f.s3Secret}" is not a valid Secret name`, hint: "lower-case letters, digits, '-' and '.', at most 253" });
    else out.s3Secret = f.s3Secret;
  }
  if (f.createSecret) {
    if (f.s3Secret !== undefined) problems.push({ path: "--create-secret", message: "cannot be combined with --s3-secret", hint: "use an existing Secret, or let the run create its own" });
    out.createSecret = true;
  }
  if (f.timeout !== undefined) {
    try {
      out.timeoutSeconds = parseDuration(f.timeout, "--timeout");
    } catch (e) {
      if (e instanceof UserError) problems.push(...e.problems);
      else throw e;
    }
  }
  if (f.retries !== undefined) {
    const n = Number(f.retries);
    if (!Number.isInteger(n) || n < 0 || n > 100) problems.push({ path: "--retries", message: `"${f.retries}" is not a whole number from 0 to 100` });
    else out.retries = n;
  }
  if (f.preflight === false) out.preflight = false;
  if (f.stagingImage !== undefined) {
    if (!f.stagingImage.trim() || /\s/.test(f.stagingImage)) problems.push({ path: "--staging-image", message: `"${f.stagingImage}" is not an image reference` });
    else out.stagingImage = f.stagingImage;
  }
  if (problems.length > 0) throw new UserError(problems);
  return Object.keys(out).length ? out : undefined;
}

/** A namespace is a DNS-1123 label. */
export function checkNamespace(ns: string, what: string): void {
  if (!DNS1123_LABEL.test(ns) || ns.length > 63) {
    throw UserError.of(`"${ns}" is not a valid namespace`, { path: what, hint: "lower-case letters, digits and '-', at most 63, starting and ending with a letter or digit" });
  }
}
