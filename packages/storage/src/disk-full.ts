import { statfs } from "node:fs/promises";
import { dirname } from "node:path";
import { UserError } from "./errors.js";
import { bytes } from "./transfer-view.js";

/**
 * A disk that cannot take more is the user's to fix (free space, or write
 * elsewhere), not a bug and not worth a retry: every place that writes staged
 * data turns these errors into one UserError here, naming what was being
 * written and how much room is left there.
 */
const FULL: Readonly<Record<string, string>> = {
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EFBIG: "file too large for the file system",
};

export function isDiskFull(e: unknown): e is NodeJS.ErrnoException & { code: string } {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" && Object.hasOwn(FULL, code);
}

export interface WriteTarget {
  /** The file or folder being written, as the message names it. */
  readonly path: string;
  /** The binding or flag it is for (`data_dir`, `--output result_dir`): the problem's path. */
  readonly what?: string;
  /** What was going on, e.g. `downloading s3://b/k`. */
  readonly doing?: string;
  /** What to do about it, where the writer knows better than "free some space". */
  readonly hint?: string;
}

/** "1.20 MB of 2.00 MB free there now" (half-written files may have been removed since), from the nearest folder of `path` that exists. */
async function room(path: string): Promise<string | undefined> {
  for (let p = path; ; p = dirname(p)) {
    const s = await statfs(p).catch(() => undefined);
    if (s) return `${bytes(s.bavail * s.bsize)} of ${bytes(s.blocks * s.bsize)} free there now`;
    if (dirname(p) === p) return undefined;
  }
}

/** `e` as a UserError when it says the disk is full (ENOSPC, EDQUOT, EFBIG); anything else as it is. */
export async function explainDiskFull(e: unknown, at: WriteTarget): Promise<unknown> {
  if (!isDiskFull(e)) return e;
  const free = await room(at.path);
  return UserError.of(`${FULL[e.code]} (${e.code}) writing ${at.path}${at.doing ? ` while ${at.doing}` : ""}${free ? `; ${free}` : ""}`, {
    ...(at.what ? { path: at.what } : {}),
    hint: at.hint ?? "free some space on that disk, or write somewhere else",
  });
}

/** Runs `write`; a full disk comes out as a UserError about `at` (the caller removes what was half written). */
export async function writingTo<T>(at: WriteTarget, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (e) {
    throw await explainDiskFull(e, at);
  }
}
