import { formatUri } from "@aves2/storage/uri";
import type { RunSpec } from "./spec.js";

/**
 * The job's log dir when it names one; else, for outputs saved to object
 * storage, `logs/<run-id>/` beside the first of them (s3://b/runs/x/out/ →
 * s3://b/runs/x/logs/<run-id>/), so that logs are found next to what the run
 * wrote. Local outputs get none: the run's folder already holds its logs.
 */
export function logsUri(spec: RunSpec): string | undefined {
  if (spec.logDir) return formatUri(spec.logDir);
  const first = spec.outputs.find((o) => o.uri?.scheme === "s3")?.uri;
  if (first?.scheme !== "s3") return undefined;
  const parent = first.key.replace(/\/+$/, "").split("/").slice(0, -1).join("/");
  return `s3://${first.bucket}/${parent ? `${parent}/` : ""}logs/${spec.runId}/`;
}
