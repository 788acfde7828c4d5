/**
 * Progress and metrics reported by a component process: one JSON object per
 * stdout line after the prefix `AVES2_EVENT `.
 */
export const EVENT_PREFIX = "AVES2_EVENT ";

export interface ProgressEvent {
  type: "progress";
  epoch: number;
  epochs: number;
  step?: number;
  steps?: number;
}
export interface MetricEvent {
  type: "metric";
  epoch?: number;
  epochs?: number;
  [name: string]: unknown;
}
export interface SummaryEvent {
  type: "summary";
  metrics: Record<string, unknown>;
}
export type RunEvent = ProgressEvent | MetricEvent | SummaryEvent | { type: string; [k: string]: unknown };

/** The event on this line, or undefined for an ordinary log line (or a garbled event). */
export function parseEventLine(line: string): RunEvent | undefined {
  if (!line.startsWith(EVENT_PREFIX)) return undefined;
  try {
    const v = JSON.parse(line.slice(EVENT_PREFIX.length)) as unknown;
    if (v && typeof v === "object" && !Array.isArray(v) && typeof (v as { type?: unknown }).type === "string") return v as RunEvent;
  } catch {
    // a half-printed or foreign line stays a log line
  }
  return undefined;
}

export function isMetric(e: RunEvent): e is MetricEvent {
  return e.type === "metric";
}
export function isSummary(e: RunEvent): e is SummaryEvent {
  return e.type === "summary" && typeof (e as SummaryEvent).metrics === "object";
}
export function isProgress(e: RunEvent): e is ProgressEvent {
  return e.type === "progress" && typeof (e as ProgressEvent).epoch === "number";
}
