import { connect as connectS3, send } from "@aves2/storage";
import type { S3Settings } from "@aves2/storage/config";
import { parseUri } from "@aves2/storage/uri";
import { EVENT_PREFIX } from "../../run/events.js";
import { metricsOfLog, type RunMetrics } from "../../run/metrics.js";

/**
 * The metrics in the events.jsonl the pod's uploader saved (pod-scripts.ts):
 * what `status` reads when the pod's log, rotated by the kubelet (10 MiB by
 * default), no longer holds the run's first AVES2_EVENT lines. Undefined
 * when there is none yet, when it is older than `notBefore` (an earlier
 * attempt's), or when it cannot be read from here (no credentials): metrics
 * are then what the log still has.
 */
export async function uploadedMetrics(uri: string, s3: S3Settings, env: NodeJS.ProcessEnv, notBefore: number): Promise<RunMetrics | undefined> {
  const u = parseUri(uri, "events", process.cwd());
  if (u.scheme !== "s3") return undefined;
  try {
    const conn = await connectS3(s3, env);
    // a quick look: status must not hang on an endpoint this machine cannot reach
    const res = await send(conn, { uri, policy: { attempts: 2, baseMs: 200, maxMs: 1_000, maxRetryAfterMs: 2_000 } }, () => conn.transport.send({ method: "GET", bucket: u.bucket, key: u.key }));
    const modified = Date.parse(res.headers["last-modified"] ?? "");
    // Last-Modified has whole seconds
    if (!Number.isNaN(modified) && modified < Math.floor(notBefore / 1000) * 1000) return undefined;
    const lines = res.body.toString("utf8").split("\n").filter((l) => l.trim());
    return metricsOfLog(lines.map((l) => `${EVENT_PREFIX}${l}`).join("\n"));
  } catch {
    return undefined;
  }
}

/** Whether a log's metrics lack their beginning: the first epoch it reports is not the first. */
export function startsLate(m: RunMetrics | undefined): boolean {
  if (!m) return true;
  const first = m.epochs[0]?.epoch;
  return typeof first === "number" && first > 1;
}

/** Of two readings of the same run's metrics, the one that holds more. */
export function fuller(a: RunMetrics | undefined, b: RunMetrics | undefined): RunMetrics | undefined {
  if (!a || !b) return a ?? b;
  if (a.epochs.length !== b.epochs.length) return a.epochs.length > b.epochs.length ? a : b;
  return !a.summary && b.summary ? b : a;
}
