import { UserError } from "../../errors.js";
import { DNS1123_LABEL } from "./dns.js";

export const K8S_ENGINES = ["kubeflow", "native"] as const;
export type K8sEngine = (typeof K8S_ENGINES)[number];

/**
 * What a user chose for a Kubernetes run: the typed view of the options the
 * backend declares (declaration.ts); everything else is resolved from
 * kubeconfig and the cluster.
 */
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
  /** How long a replica may wait for a node (or for quota) before the run fails; default 10 minutes. */
  readonly scheduleTimeoutSeconds?: number;
  /** backoffLimit: how often a failed pod is started again (default 0). */
  readonly retries?: number;
  /** false = `--no-preflight`. */
  readonly preflight?: boolean;
  /** The image of the staging containers (init + uploader); default: this version's. */
  readonly stagingImage?: string;
}

/** --schedule-timeout's default: 10 minutes. */
export const DEFAULT_SCHEDULE_TIMEOUT = 600;

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

/** A namespace is a DNS-1123 label. */
export function checkNamespace(ns: string, what: string): void {
  if (!DNS1123_LABEL.test(ns) || ns.length > 63) {
    throw UserError.of(`"${ns}" is not a valid namespace`, { path: what, hint: "lower-case letters, digits and '-', at most 63, starting and ending with a letter or digit" });
  }
}

/** Seconds as a duration flag takes them: `90s`, `10m`, `1h30m`. */
export function formatDuration(seconds: number): string {
  const parts: string[] = [];
  let rest = Math.round(seconds);
  for (const [unit, n] of [["d", 86400], ["h", 3600], ["m", 60]] as const) {
    if (rest >= n) {
      parts.push(`${Math.floor(rest / n)}${unit}`);
      rest %= n;
    }
  }
  if (rest || parts.length === 0) parts.push(`${rest}s`);
  return parts.join("");
}
