/**
 * `<component>-<yyyymmdd>-<hhmmss>-<4 random>`: sortable by time, unique enough
 * for one user, and a valid DNS-1123 label (≤ 63 chars) so that backends can
 * use it as an object name as it is.
 */
export function makeRunId(component: string, now: Date, random: () => number = Math.random): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  const suffix = Array.from({ length: 4 }, () => "abcdefghijklmnopqrstuvwxyz0123456789"[Math.floor(random() * 36)]).join("");
  const base = component.slice(0, 63 - stamp.length - suffix.length - 2).replace(/-+$/, "");
  return `${base}-${stamp}-${suffix}`;
}

export const RUN_ID_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
