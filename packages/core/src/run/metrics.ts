import { isMetric, isSummary, parseEventLine, type RunEvent } from "./events.js";

/** What a run reported of itself: kept in its record, shown by `status` and the summary of `run`. */
export interface RunMetrics {
  /** One entry per epoch, as the process reported them. */
  readonly epochs: readonly Record<string, unknown>[];
  readonly summary?: Record<string, unknown>;
}

export const NO_METRICS: RunMetrics = { epochs: [] };

/**
 * The metrics with one more event folded in: a `metric` event is an epoch's
 * values, a `summary` event the final metrics. Undefined for any other event
 * (progress), which metrics do not keep.
 */
export function addEvent(metrics: RunMetrics, event: RunEvent): RunMetrics | undefined {
  if (isMetric(event)) {
    const { type: _t, ...values } = event;
    return { ...metrics, epochs: [...metrics.epochs, values] };
  }
  if (isSummary(event)) return { ...metrics, summary: event.metrics };
  return undefined;
}

/** The metrics in a whole log (its AVES2_EVENT lines); undefined when it reported none. */
export function metricsOfLog(text: string): RunMetrics | undefined {
  let metrics = NO_METRICS;
  for (const line of text.split("\n")) {
    const event = parseEventLine(line);
    if (event) metrics = addEvent(metrics, event) ?? metrics;
  }
  return metrics === NO_METRICS ? undefined : metrics;
}
