import { createHash, randomBytes } from "node:crypto";
import { createReadStream, constants } from "node:fs";
import { access, cp, mkdir, open, readdir, rename, rm, stat, symlink, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { UserError } from "../errors.js";
import { unpackArchive } from "../archive/unpack.js";
import { MARKER, manifest, manifestText } from "../completion-marker.js";
import { writingTo } from "../disk-full.js";
import { copyFiles, walkFiles } from "../local-tree.js";
import type { Store, Transfer } from "../store.js";
import { type DataUri, isArchive } from "../uri.js";

function pathOf(uri: DataUri): string {
  if (uri.scheme !== "file") throw new Error(`local store given ${uri.scheme}://`);
  return uri.path;
}

/** Why a file cannot be created, in words. */
const CANNOT_CREATE: Readonly<Record<string, string>> = {
  EROFS: "a read-only file system",
  EACCES: "permission denied",
  EPERM: "not permitted",
  ENOENT: "this file system takes no new files",
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
};

/**
 * Whether a file can be made in `dir`, found by making one (and removing it):
 * permission bits say nothing of read-only mounts, of /proc or /sys, nor to
 * root, whom they do not stop. Resolves with why not, or undefined.
 */
async function cannotCreateIn(dir: string): Promise<string | undefined> {
  const probe = join(dir, `.aves2-write-check-${randomBytes(6).toString("hex")}`);
  try {
    await access(dir, constants.W_OK | constants.X_OK);
    await (await open(probe, "wx")).close();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "";
    return `${CANNOT_CREATE[code] ?? (e as Error).message}${CANNOT_CREATE[code] ? `, ${code}` : ""}`;
  }
  await rm(probe, { force: true });
  return undefined;
}

async function md5Of(file: string): Promise<string> {
  const h = createHash("md5");
  for await (const c of createReadStream(file)) h.update(c as Buffer);
  return h.digest("hex");
}

/**
 * Local paths. Input folders are linked, not copied (datasets can be large and
 * are only read); input archives are unpacked into the run; outputs are copied
 * to their destination after the run.
 */
export const localStore: Store = {
  scheme: "file",

  localPath: (uri) => (isArchive(pathOf(uri)) ? undefined : pathOf(uri)),

  async checkInput(uri, what) {
    const p = pathOf(uri);
    const s = await stat(p).catch(() => undefined);
    if (!s) throw UserError.of(`${p} does not exist`, { path: what });
    if (isArchive(p) && s.isFile()) {
      await access(p, constants.R_OK).catch(() => {
        throw UserError.of(`${p} is not readable`, { path: what });
      });
      if (s.size === 0) throw UserError.of(`${p} is empty`, { path: what });
      return;
    }
    if (!s.isDirectory()) throw UserError.of(`${p} is not a directory`, { path: what, hint: "inputs are folders, or archives (.zip, .tar, .tar.gz, .tgz)" });
    await access(p, constants.R_OK | constants.X_OK).catch(() => {
      throw UserError.of(`${p} is not readable`, { path: what });
    });
    if ((await readdir(p)).length === 0) throw UserError.of(`${p} is empty`, { path: what });
  },

  async checkOutput(uri, what) {
    const p = pathOf(uri);
    const s = await stat(p).catch(() => undefined);
    if (s && !s.isDirectory()) throw UserError.of(`${p} exists and is not a directory`, { path: what });
    // the folder itself if it exists, else the nearest ancestor that does: that is where we will create it
    let probe = p;
    let found = s;
    while (!found) {
      probe = dirname(probe);
      found = await stat(probe).catch(() => undefined);
    }
    if (!found.isDirectory()) throw UserError.of(`${p} cannot be created: ${probe} is a file`, { path: what });
    const why = await cannotCreateIn(probe);
    if (why) throw UserError.of(`${p} is not writable: files cannot be created in ${probe} (${why})`, { path: what, hint: "choose a folder you can write to" });
  },

  async stageIn(uri, dir, name, opts = {}): Promise<Transfer> {
    const started = Date.now();
    const p = pathOf(uri);
    await mkdir(dirname(dir), { recursive: true });
    if (isArchive(p)) {
      const { files, bytes } = await unpackArchive(p, dir, { name: basename(p), label: p, what: name });
      opts.progress?.({ name, direction: "in", uri: p, files, bytes, totalFiles: files, totalBytes: bytes, done: true });
      return { direction: "in", name, uri: p, local: dir, files, bytes, seconds: (Date.now() - started) / 1000, method: "unpack" };
    }
    if (opts.writable) {
      await writingTo({ path: dir, doing: `copying ${p}`, what: name }, () => cp(p, dir, { recursive: true })).catch(async (e) => {
        await rm(dir, { recursive: true, force: true });
        throw e;
      });
      const { files, bytes } = await tree(dir);
      return { direction: "in", name, uri: p, local: dir, files, bytes, seconds: (Date.now() - started) / 1000, method: "copy" };
    }
    await symlink(p, dir, "dir");
    return { direction: "in", name, uri: p, local: dir, files: 0, bytes: 0, seconds: (Date.now() - started) / 1000, method: "link" };
  },

  async stageOut(dir, uri, name, opts = {}): Promise<Transfer> {
    const started = Date.now();
    const target = pathOf(uri);
    const local = (await walkFiles(dir)).filter((f) => !(opts.marker && f.rel === MARKER));
    const bytes = local.reduce((n, f) => n + f.size, 0);
    let marker: string | undefined;
    // files are whole or absent (copyFiles); the marker is written last, also whole, and only when every file is there
    await writingTo({ path: target, hint: "free some space on that disk, or save the output somewhere else" }, async () => {
      await mkdir(target, { recursive: true });
      if (opts.marker !== undefined) await rm(join(target, MARKER), { force: true });
      await copyFiles(local, target);
      if (opts.marker) {
        const files = await Promise.all(local.map(async (f) => ({ path: f.rel, size: f.size, md5: await md5Of(f.path) })));
        const part = join(target, `.${MARKER}.aves2-part`);
        try {
          await writeFile(part, manifestText(manifest(files, opts.marker)));
          await rename(part, join(target, MARKER));
        } catch (e) {
          await rm(part, { force: true });
          throw e;
        }
        marker = MARKER;
      }
    });
    opts.progress?.({ name, direction: "out", uri: target, files: local.length, bytes, totalFiles: local.length, totalBytes: bytes, done: true });
    return { direction: "out", name, uri: target, local: dir, files: local.length, bytes, seconds: (Date.now() - started) / 1000, method: "copy", ...(marker ? { marker } : {}) };
  },
};

async function tree(dir: string): Promise<{ files: number; bytes: number }> {
  const files = await walkFiles(dir);
  return { files: files.length, bytes: files.reduce((n, f) => n + f.size, 0) };
}
