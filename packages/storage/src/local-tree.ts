import { randomBytes } from "node:crypto";
import { copyFile, mkdir, readdir, realpath, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { forEachLimited } from "./pool.js";

export interface LocalFile {
  /** Relative to the walked folder, `/`-separated. */
  readonly rel: string;
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/**
 * Every regular file under `dir`, sorted by path. Symbolic links are followed
 * (a process may link its outputs), each real folder walked once.
 */
export async function walkFiles(dir: string): Promise<LocalFile[]> {
  const out: LocalFile[] = [];
  const seen = new Set<string>();
  const walk = async (abs: string, rel: string) => {
    const real = await realpath(abs);
    if (seen.has(real)) return;
    seen.add(real);
    const entries = await readdir(abs, { withFileTypes: true });
    await Promise.all(
      entries.map(async (e) => {
        const path = join(abs, e.name);
        const r = rel ? `${rel}/${e.name}` : e.name;
        let isDir = e.isDirectory();
        let isFile = e.isFile();
        let s = isFile ? await stat(path) : undefined;
        if (e.isSymbolicLink()) {
          s = await stat(path).catch(() => undefined); // a dangling link has nothing to save
          isDir = Boolean(s?.isDirectory());
          isFile = Boolean(s?.isFile());
        }
        if (isDir) await walk(path, r);
        else if (isFile && s) out.push({ rel: r, path, size: s.size, mtimeMs: s.mtimeMs });
      }),
    );
  };
  await walk(dir, "");
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

/**
 * Copies `files` (from walkFiles) under `target`, each to a temporary name
 * beside its place and renamed there once complete: a reader never sees half
 * a file, and a copy cut short (a full disk) removes its own part, so what is
 * left at `target` is only whole files.
 */
export async function copyFiles(files: readonly LocalFile[], target: string, concurrency = 8): Promise<void> {
  await forEachLimited(files, concurrency, async (f) => {
    const dest = join(target, f.rel);
    await mkdir(dirname(dest), { recursive: true });
    const part = `${dest}.aves2-part-${randomBytes(4).toString("hex")}`;
    try {
      await copyFile(f.path, part);
      await rename(part, dest);
    } catch (e) {
      await rm(part, { force: true });
      throw e;
    }
  });
}
