import { Transform } from "node:stream";
import { UserError } from "../errors.js";

/**
 * Bounds on what one archive may unpack to. A few hundred bytes of zip can
 * inflate to terabytes (a "zip bomb"), and a small tar can hold millions of
 * empty entries, so both the bytes written and the entries are capped. The
 * defaults are far above any real dataset an input folder holds; the
 * environment raises (or lowers) them.
 */
export interface UnpackLimits {
  /** Total bytes written for all files of the archive. */
  readonly maxBytes: number;
  /** Entries of any kind: files, folders, links. */
  readonly maxEntries: number;
}

export const MAX_BYTES_ENV = "AVES2_UNPACK_MAX_BYTES";
export const MAX_ENTRIES_ENV = "AVES2_UNPACK_MAX_ENTRIES";
export const DEFAULT_LIMITS: UnpackLimits = { maxBytes: 100 * 1024 ** 3, maxEntries: 1_000_000 };

function fromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw UserError.of(`${name}=${raw} is not a whole number above 0`, { path: name, hint: `unset it to use the default (${fallback})` });
  }
  return n;
}

/** The limits in force: the given ones, else the environment's, else the defaults. */
export function unpackLimits(given: Partial<UnpackLimits> = {}, env: NodeJS.ProcessEnv = process.env): UnpackLimits {
  return {
    maxBytes: given.maxBytes ?? fromEnv(env, MAX_BYTES_ENV, DEFAULT_LIMITS.maxBytes),
    maxEntries: given.maxEntries ?? fromEnv(env, MAX_ENTRIES_ENV, DEFAULT_LIMITS.maxEntries),
  };
}

/** "100 KiB (102400 bytes)": a readable size, and the exact number to compare with the variable. */
function bytesText(n: number): string {
  let v = n;
  let unit = "";
  for (const u of ["KiB", "MiB", "GiB", "TiB"]) {
    if (v < 1024) break;
    v /= 1024;
    unit = u;
  }
  return unit ? `${Number.isInteger(v) ? v : v.toFixed(1)} ${unit} (${n} bytes)` : `${n} bytes`;
}

/**
 * Counts one archive's entries and the bytes actually written for it — not
 * the sizes its headers declare, which a forged archive can understate — and
 * fails the moment either passes its limit.
 */
export class UnpackBudget {
  private entries = 0;
  private written = 0;

  constructor(
    readonly limits: UnpackLimits,
    private readonly label: string,
    private readonly what?: string,
  ) {}

  get bytes(): number {
    return this.written;
  }

  private exceeded(what: string, env: string, unit: string): UserError {
    return UserError.of(`archive ${this.label} ${what}, the limit; nothing was unpacked`, {
      ...(this.what ? { path: this.what } : {}),
      hint: `a damaged or malicious archive, a zip bomb? If it is genuine, raise the limit: ${env}=<${unit}>`,
    });
  }

  /** Before anything is written for an entry. */
  entry(): void {
    if (++this.entries > this.limits.maxEntries) throw this.tooManyEntries();
  }

  /** A count known up front (a zip's central directory) is refused before anything is written. */
  declaredEntries(n: number): void {
    if (n > this.limits.maxEntries) throw this.tooManyEntries();
  }

  private tooManyEntries(): UserError {
    return this.exceeded(`has more than ${this.limits.maxEntries} entries`, MAX_ENTRIES_ENV, "count");
  }

  /** A pass-through to put between an entry's data and its file: it stops the copy at the first byte over the limit. */
  meter(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        this.written += chunk.length;
        if (this.written > this.limits.maxBytes) return done(this.exceeded(`unpacks to more than ${bytesText(this.limits.maxBytes)}`, MAX_BYTES_ENV, "bytes"));
        done(null, chunk);
      },
    });
  }
}
