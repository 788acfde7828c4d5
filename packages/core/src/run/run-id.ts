import { randomBytes } from "node:crypto";

let pool = Buffer.alloc(0);
let drawn = 0;

/**
 * Uniform in [0, 1), from the system's random source: runs started in the
 * same second by several processes draw independently. Drawn from a pool:
 * a call into the source per character made planning 20 % slower.
 */
function systemRandom(): number {
  if (drawn + 4 > pool.length) {
    pool = randomBytes(1024);
    drawn = 0;
  }
  const v = pool.readUInt32BE(drawn) / 2 ** 32;
  drawn += 4;
  return v;
}

/**
 * `<component>-<yyyymmdd>-<hhmmss>-<4 random>`: sortable by time, unique enough
 * for one user, and a valid DNS-1123 label (≤ 63 chars) so that backends can
 * use it as an object name as it is. Two runs that draw the same id in the
 * same second (1 in 1.7 million) cannot share a folder: the second one's
 * claim of it fails (records/run-store.ts claimRunDir).
 */
export function makeRunId(component: string, now: Date, random: () => number = systemRandom): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  const suffix = Array.from({ length: 4 }, () => "abcdefghijklmnopqrstuvwxyz0123456789"[Math.floor(random() * 36)]).join("");
  const base = component.slice(0, 63 - stamp.length - suffix.length - 2).replace(/-+$/, "");
  return `${base}-${stamp}-${suffix}`;
}

export const RUN_ID_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
