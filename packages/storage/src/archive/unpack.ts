import { explainDiskFull } from "../disk-full.js";
import { isCaseInsensitiveDir } from "./case-probe.js";
import { EntryGuard, intoFreshDir } from "./entry-guard.js";
import { UnpackBudget, type UnpackLimits, unpackLimits } from "./limits.js";
import { unpackTar } from "./tar.js";
import { unpackZip } from "./zip.js";

export interface UnpackOptions {
  /** The archive's name, whose ending says its format. */
  readonly name: string;
  /** How errors name the archive. */
  readonly label: string;
  /** What the archive is for (`--input x`), as errors' path. */
  readonly what?: string;
  /** Overrides AVES2_UNPACK_MAX_BYTES / AVES2_UNPACK_MAX_ENTRIES and their defaults. */
  readonly limits?: Partial<UnpackLimits>;
  /** Whether `dir`'s file system ignores case; probed when not given (tests give it). */
  readonly caseInsensitive?: boolean;
}

/**
 * Unpacks an archive (`.zip`, `.tar`, `.tar.gz`, `.tgz`, judged by `name`)
 * into `dir`, which must not exist yet or be empty. Entries that would land
 * outside `dir`, names that clash on a case-insensitive file system, and
 * archives over the size or entry limits are refused with a UserError and
 * `dir` is removed again, so a bad archive leaves nothing behind; so is a
 * disk that fills up on the way (a UserError naming `dir` and the room left).
 */
export async function unpackArchive(file: string, dir: string, opts: UnpackOptions): Promise<{ files: number; bytes: number }> {
  // a bad limit in the environment is reported before anything is made
  const limits = unpackLimits(opts.limits);
  let result = { files: 0, bytes: 0 };
  const zip = /\.zip$/i.test(opts.name.replace(/\/+$/, ""));
  await intoFreshDir(dir, async () => {
    const caseInsensitive = opts.caseInsensitive ?? (await isCaseInsensitiveDir(dir));
    const guard = new EntryGuard(dir, opts.label, opts.what, { caseInsensitive });
    const budget = new UnpackBudget(limits, opts.label, opts.what);
    result = zip ? await unpackZip(file, guard, budget) : await unpackTar(file, guard, budget);
  }).catch(async (e) => {
    throw await explainDiskFull(e, { path: dir, doing: `unpacking ${opts.label}`, ...(opts.what ? { what: opts.what } : {}) });
  });
  return result;
}
