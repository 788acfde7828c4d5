import { lstat, mkdir, readdir, realpath, rm } from "node:fs/promises";
import { dirname, join, posix } from "node:path";
import { UserError } from "../errors.js";
import { isInside, unsafeRelative } from "../relative-path.js";
import { caseFold } from "./case-probe.js";

const INSIDE_HINT = "archives may only hold files, folders and links that stay inside the folder they are unpacked into";

/**
 * Keeps an archive's entries inside the folder it is unpacked into: every
 * name is checked before anything is written for it, nothing is written
 * through a symbolic link the archive made, links may only point inside, and
 * once all is written every link is resolved again to be sure. On a file
 * system that ignores case, two names that differ only in case would be one
 * file (the second silently overwriting the first, or written through a link
 * spelled differently), so they are refused there.
 */
export class EntryGuard {
  private readonly links = new Set<string>();
  private readonly files = new Set<string>();
  private readonly dirs = new Set<string>();
  /** Case-folded path → the spelling first seen, for every path and parent path of the archive's names. */
  private readonly spellings = new Map<string, string>();

  constructor(
    readonly root: string,
    /** How errors name the archive. */
    readonly label: string,
    readonly what?: string,
    private readonly opts: { caseInsensitive?: boolean } = {},
  ) {}

  reject(entry: string, why: string, hint = INSIDE_HINT): never {
    throw UserError.of(`archive ${this.label}: entry "${entry}" ${why}; nothing was unpacked`, {
      ...(this.what ? { path: this.what } : {}),
      hint,
    });
  }

  /** The entry's path relative to the root (undefined for the root itself), or a rejection. */
  name(raw: string): string | undefined {
    let rel = raw.replace(/\/+$/, "");
    while (rel.startsWith("./")) rel = rel.slice(2).replace(/^\/+/, "");
    if (rel === "" || rel === ".") return raw.startsWith("/") ? this.reject(raw, "is an absolute path") : undefined;
    const why = unsafeRelative(rel);
    if (why) this.reject(raw, why);
    const parts = rel.split("/");
    for (let i = 1; i < parts.length; i++) {
      const p = parts.slice(0, i).join("/");
      if (this.links.has(p)) this.reject(raw, `would be written through the symbolic link "${p}"`);
      if (this.files.has(p)) this.reject(raw, `would be written under the file "${p}"`);
    }
    if (this.opts.caseInsensitive) this.sameSpelling(raw, parts);
    return rel;
  }

  /** Each path of the name (its parents too: a folder `A` and a link `a` are one on disk) must be spelled as the first time. */
  private sameSpelling(raw: string, parts: readonly string[]): void {
    for (let i = 1; i <= parts.length; i++) {
      const p = parts.slice(0, i).join("/");
      const seen = this.spellings.get(caseFold(p));
      if (seen === undefined) this.spellings.set(caseFold(p), p);
      else if (seen !== p) {
        this.reject(
          raw,
          `has the same name as "${seen}" when case is ignored, and ${this.root} is on a file system that ignores case`,
          "rename one of them in the archive, or unpack it on a case-sensitive file system",
        );
      }
    }
  }

  /** Absolute destination of a checked name, with its parent folders made. */
  async place(rel: string): Promise<string> {
    const abs = join(this.root, rel);
    const parent = dirname(rel);
    if (parent !== "." && !this.dirs.has(parent)) {
      await mkdir(join(this.root, parent), { recursive: true });
      for (let d = parent; d !== "." && !this.dirs.has(d); d = posix.dirname(d)) this.dirs.add(d);
    }
    return abs;
  }

  dir(rel: string): void {
    if (this.files.has(rel) || this.links.has(rel)) this.reject(rel, "is both a file and a folder");
    this.dirs.add(rel);
  }

  file(rel: string): void {
    if (this.dirs.has(rel) || this.links.has(rel) || this.files.has(rel)) this.reject(rel, "appears twice, as different kinds of entry");
    this.files.add(rel);
  }

  /** A symbolic link at `rel` to `target`: relative, and inside the root. */
  symlink(rel: string, target: string): void {
    if (!target || target.startsWith("/") || /^[a-zA-Z]:[\\/]/.test(target)) this.reject(rel, `is a symbolic link to an absolute path (${target || "empty"})`);
    const resolved = posix.normalize(posix.join(posix.dirname(rel), target));
    if (resolved === ".." || resolved.startsWith("../")) this.reject(rel, `is a symbolic link pointing outside (${target})`);
    if (this.dirs.has(rel) || this.files.has(rel)) this.reject(rel, "appears twice, as different kinds of entry");
    this.links.add(rel);
  }

  /** A hard link at `rel` to the archive's own file `target`; returns that file's path. */
  hardlink(rel: string, target: string): string {
    let t = target.replace(/\/+$/, "");
    while (t.startsWith("./")) t = t.slice(2);
    if (unsafeRelative(t)) this.reject(rel, `is a hard link to "${target}", outside the archive`);
    if (!this.files.has(t)) this.reject(rel, `is a hard link to "${target}", which is not a file of the archive`);
    this.file(rel);
    return join(this.root, t);
  }

  /** After unpacking: every link, resolved on disk, must still be inside. */
  async verify(): Promise<void> {
    const root = await realpath(this.root);
    for (const rel of this.links) {
      const real = await realpath(join(this.root, rel)).catch(() => undefined);
      if (real && !isInside(root, real)) this.reject(rel, "is a symbolic link that resolves outside (through other links)");
    }
  }
}

/** Unpacks with `body` into a fresh `dir`; on any failure `dir` is removed again. */
export async function intoFreshDir(dir: string, body: () => Promise<void>): Promise<void> {
  const existed = await lstat(dir).catch(() => undefined);
  if (existed && (!existed.isDirectory() || (await readdir(dir)).length > 0)) throw new Error(`unpack target ${dir} is not a new folder`);
  await mkdir(dir, { recursive: true });
  try {
    await body();
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}
