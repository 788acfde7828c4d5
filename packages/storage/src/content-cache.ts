import { createHash, randomBytes } from "node:crypto";
import { chmod, copyFile, link, mkdir, rename, rm, stat, unlink } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

/** `$AVES2_CACHE_DIR`, else `$XDG_CACHE_HOME/aves2`, else `~/.cache/aves2`. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AVES2_CACHE_DIR) return env.AVES2_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), ".cache"), "aves2");
}

/**
 * Downloaded objects, one file each, named by what identifies their content
 * (where they came from + size + ETag): a changed object gets a new name, an
 * unchanged one is found without asking anything but the listing. Files are
 * complete when they appear (written aside, checked, then renamed) and
 * read-only, because runs link to them instead of copying. Several runs may
 * fill the cache at once: the worst case is the same object downloaded twice,
 * and the first complete copy stays the entry (see `commit`). A download that
 * fails (a full disk, a broken connection) leaves no entry and no scratch file.
 * Deleting the folder at any time is safe.
 */
export class ContentCache {
  readonly dir: string;

  constructor(root: string = cacheRoot()) {
    this.dir = join(root, "objects");
  }

  /** `identity` names the object (endpoint, bucket, key), `version` its content (size, ETag). */
  pathFor(identity: string, version: string): string {
    const h = createHash("sha256").update(identity).update("\0").update(version).digest("hex");
    return join(this.dir, h.slice(0, 2), h.slice(2));
  }

  async has(path: string, size: number): Promise<boolean> {
    const s = await stat(path).catch(() => undefined);
    return Boolean(s?.isFile() && s.size === size);
  }

  /** A temporary name beside `path`, for a download that becomes `path` with `commit`. */
  async scratch(path: string): Promise<string> {
    await mkdir(dirname(path), { recursive: true });
    return `${path}.part-${process.pid}-${randomBytes(4).toString("hex")}`;
  }

  /**
   * Makes a complete, checked download the entry `path`. The first writer
   * wins: publishing by a hard link fails when another process already put an
   * entry there, and a valid one (its size; its content was checked against
   * the object before it was committed) is kept, so files that runs already
   * linked stay the entry. A wrong-sized one is replaced. Where hard links
   * are not possible, a rename publishes it (atomic too, last writer wins).
   */
  async commit(scratch: string, path: string, size: number): Promise<void> {
    await chmod(scratch, 0o444);
    try {
      await link(scratch, path);
      await unlink(scratch);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EEXIST" && (await this.has(path, size))) return this.discard(scratch);
      if (code !== "EEXIST" && !NO_LINK.has(code ?? "")) throw e;
    }
    await rename(scratch, path);
  }

  /** What to do when the cache's disk is full. */
  get fullHint(): string {
    return `free some space there, or set AVES2_CACHE_DIR to a folder on a larger disk (the cache ${this.dir} can be deleted at any time)`;
  }

  async discard(scratch: string): Promise<void> {
    await rm(scratch, { force: true });
  }
}

/**
 * Puts a cached file at `dest`: a hard link (no copy, and the file stays
 * read-only, so a process cannot change the cache through it), or a copy
 * when linking is not possible (another file system) or `writable` asks for one.
 */
export async function materialize(cached: string, dest: string, writable: boolean): Promise<"link" | "copy"> {
  if (!writable) {
    try {
      await link(cached, dest);
      return "link";
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "EXDEV" && !NO_LINK.has(code ?? "")) throw e;
    }
  }
  try {
    await copyFile(cached, dest);
    await chmod(dest, writable ? 0o644 : 0o444);
  } catch (e) {
    await rm(dest, { force: true }); // a copy cut short (a full disk) must not look like the file
    throw e;
  }
  return "copy";
}

/** Why a hard link can fail where a copy or a rename would do. */
const NO_LINK = new Set(["EPERM", "EMLINK", "ENOTSUP", "EXDEV"]);
