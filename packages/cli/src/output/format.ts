export { duration } from "@aves2/storage/transfer-view";

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
