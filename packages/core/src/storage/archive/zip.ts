import { createWriteStream } from "node:fs";
import { mkdir, symlink } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import type { Entry, ZipFile } from "yauzl";
import { UserError } from "../../errors.js";
import { EntryGuard } from "./entry-guard.js";

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const MAX_LINK = 4096;

/**
 * Unpacks a .zip into `dir` with yauzl, one entry at a time, each checked by
 * the guard before it is written. Unix symbolic links (stored as entries whose
 * content is the target) are checked like tar's.
 */
export async function unpackZip(file: string, dir: string, label: string, what?: string): Promise<{ files: number; bytes: number }> {
  const yauzl = await import("yauzl");
  const guard = new EntryGuard(dir, label, what);
  let zip: ZipFile;
  try {
    // names are decoded and checked here, not by yauzl, so the error can say what is wrong
    zip = await yauzl.openPromise(file, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true });
  } catch (e) {
    throw UserError.of(`archive ${label} cannot be read: ${(e as Error).message}`, { ...(what ? { path: what } : {}), hint: "is it a complete .zip file?" });
  }
  let files = 0;
  let bytes = 0;
  const read = async (entry: Entry): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of await zip.openReadStreamPromise(entry)) {
      n += (c as Buffer).length;
      if (n > MAX_LINK) guard.reject(String(entry.fileNameRaw), "is a symbolic link with an over-long target");
      chunks.push(c as Buffer);
    }
    return Buffer.concat(chunks);
  };
  const handle = async (entry: Entry) => {
    const raw = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, false);
    if (raw.includes("\\")) guard.reject(raw, "has a backslash in its name (a Windows path?)");
    const rel = guard.name(raw);
    if (rel === undefined) return;
    const unixMode = entry.versionMadeBy >> 8 === 3 ? entry.externalFileAttributes >>> 16 : 0;
    if (raw.endsWith("/")) {
      guard.dir(rel);
      await mkdir(await guard.place(rel), { recursive: true });
    } else if ((unixMode & S_IFMT) === S_IFLNK) {
      const target = (await read(entry)).toString("utf8");
      guard.symlink(rel, target);
      await symlink(target, await guard.place(rel));
    } else {
      guard.file(rel);
      const dest = await guard.place(rel);
      await pipeline(await zip.openReadStreamPromise(entry), createWriteStream(dest, { mode: unixMode & 0o111 ? 0o755 : 0o644 }));
      files++;
      bytes += entry.uncompressedSize;
    }
  };
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on("entry", (entry: Entry) => {
        handle(entry).then(
          () => zip.readEntry(),
          (e) => {
            zip.close();
            reject(e);
          },
        );
      });
      zip.on("end", () => resolve());
      zip.on("error", (e: Error) => reject(UserError.of(`archive ${label} cannot be read: ${e.message}`, { ...(what ? { path: what } : {}) })));
      zip.readEntry();
    });
  } finally {
    if (zip.isOpen) zip.close();
  }
  await guard.verify();
  return { files, bytes };
}
