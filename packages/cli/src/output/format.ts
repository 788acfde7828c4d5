export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "-";
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  if (m < 60) return `${m}m${String(s).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

export function elapsed(from?: string, to?: string): number {
  if (!from) return Number.NaN;
  return ((to ? Date.parse(to) : Date.now()) - Date.parse(from)) / 1000;
}

/** Metric values as people read them: 4 significant decimals, integers as they are. */
export function metricValue(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(4);
  if (v === null || v === undefined) return "-";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
