import { constants } from "node:fs";
import { access, cp, mkdir, readdir, stat, symlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { UserError } from "../../errors.js";
import type { Store, Transfer } from "../store.js";
import { isArchive, type DataUri } from "../uri.js";

function pathOf(uri: DataUri): string {
  if (uri.scheme !== "file") throw new Error(`local store given ${uri.scheme}://`);
  return uri.path;
}

async function tree(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    files++;
    bytes += (await stat(join(e.parentPath, e.name))).size;
  }
  return { files, bytes };
}

/**
 * Local paths. Inputs are linked, not copied (datasets can be large and are
 * only read); outputs are copied to their destination after the run.
 */
export const localStore: Store = {
  scheme: "file",

  localPath: (uri) => pathOf(uri),

  async checkInput(uri, what) {
    const p = pathOf(uri);
    const s = await stat(p).catch(() => undefined);
    if (!s) throw UserError.of(`${p} does not exist`, { path: what });
    if (isArchive(p) && s.isFile()) {
      throw UserError.of(`${p} is an archive; unpacking local archives is not supported yet`, { path: what, hint: "unpack it and pass the folder" });
    }
    if (!s.isDirectory()) throw UserError.of(`${p} is not a directory`, { path: what, hint: "inputs are folders" });
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
    await access(probe, constants.W_OK | constants.X_OK).catch(() => {
      throw UserError.of(`${p} is not writable`, { path: what, hint: `${probe} does not allow writing` });
    });
  },

  async stageIn(uri, dir, name): Promise<Transfer> {
    const started = Date.now();
    await mkdir(dirname(dir), { recursive: true });
    await symlink(pathOf(uri), dir, "dir");
    return { direction: "in", name, uri: pathOf(uri), local: dir, files: 0, bytes: 0, seconds: (Date.now() - started) / 1000, method: "link" };
  },

  async stageOut(dir, uri, name): Promise<Transfer> {
    const started = Date.now();
    const target = pathOf(uri);
    await mkdir(target, { recursive: true });
    await cp(dir, target, { recursive: true, force: true });
    const { files, bytes } = await tree(dir);
    return { direction: "out", name, uri: target, local: dir, files, bytes, seconds: (Date.now() - started) / 1000, method: "copy" };
  },
};
