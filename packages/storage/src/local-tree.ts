import { readdir, realpath, stat } from "node:fs/promises";
import { join } from "node:path";

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
