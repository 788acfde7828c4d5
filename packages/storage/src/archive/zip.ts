import { createWriteStream } from "node:fs";
import { mkdir, symlink } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import type { Entry, ZipFile } from "yauzl";
import { isDiskFull } from "../disk-full.js";
import { UserError } from "../errors.js";
import type { EntryGuard } from "./entry-guard.js";
import type { UnpackBudget } from "./limits.js";

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const MAX_LINK = 4096;

/**
 * Unpacks a .zip into `dir` with yauzl, one entry at a time, each checked by
 * the guard before it is written. Unix symbolic links (stored as entries whose
 * content is the target) are checked like tar's. The budget counts entries
 * and the bytes really inflated: yauzl's size check also stops an entry at
 * the first byte past the size its header declares.
 */
export async function unpackZip(file: string, guard: EntryGuard, budget: UnpackBudget): Promise<{ files: number; bytes: number }> {
  const yauzl = await import("yauzl");
  const { label } = guard;
  const where = guard.what ? { path: guard.what } : {};
  let zip: ZipFile;
  try {
    // names are decoded and checked here, not by yauzl, so the error can say what is wrong
    zip = await yauzl.openPromise(file, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true });
  } catch (e) {
    throw UserError.of(`archive ${label} cannot be read: ${(e as Error).message}`, { ...where, hint: "is it a complete .zip file?" });
  }
  // the central directory says how many entries follow: a count over the limit is refused before anything is written
  try {
    budget.declaredEntries(zip.entryCount);
  } catch (e) {
    zip.close();
    throw e;
  }
  let files = 0;
  /** yauzl's complaints about an entry's data ("too many bytes in the stream. expected 10. got at least 11", a bad CRC, a cut-off file) as the user's problem. */
  const dataError = (raw: string) => (e: Error) => {
    // a full disk is not a damaged archive
    if (e instanceof UserError || isDiskFull(e)) throw e;
    throw UserError.of(`archive ${label}: entry "${raw}" cannot be unpacked: ${e.message}; nothing was unpacked`, {
      ...where,
      hint: "the archive is damaged, or its headers do not match its data (a forged archive?)",
    });
  };
  const read = async (entry: Entry, raw: string): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    let n = 0;
    try {
      for await (const c of await zip.openReadStreamPromise(entry)) {
        n += (c as Buffer).length;
        if (n > MAX_LINK) guard.reject(raw, "is a symbolic link with an over-long target");
        chunks.push(c as Buffer);
      }
    } catch (e) {
      dataError(raw)(e as Error);
    }
    return Buffer.concat(chunks);
  };
  const handle = async (entry: Entry) => {
    budget.entry();
    const raw = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, false);
    if (raw.includes("\\")) guard.reject(raw, "has a backslash in its name (a Windows path?)");
    const rel = guard.name(raw);
    if (rel === undefined) return;
    const unixMode = entry.versionMadeBy >> 8 === 3 ? entry.externalFileAttributes >>> 16 : 0;
    if (raw.endsWith("/")) {
      guard.dir(rel);
      await mkdir(await guard.place(rel), { recursive: true });
    } else if ((unixMode & S_IFMT) === S_IFLNK) {
      const target = (await read(entry, raw)).toString("utf8");
      guard.symlink(rel, target);
      await symlink(target, await guard.place(rel));
    } else {
      guard.file(rel);
      const dest = await guard.place(rel);
      const mode = unixMode & 0o111 ? 0o755 : 0o644;
      await pipeline(await zip.openReadStreamPromise(entry), budget.meter(), createWriteStream(dest, { mode })).catch(dataError(raw));
      files++;
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
      zip.on("error", (e: Error) => reject(UserError.of(`archive ${label} cannot be read: ${e.message}`, where)));
      zip.readEntry();
    });
  } finally {
    if (zip.isOpen) zip.close();
  }
  await guard.verify();
  return { files, bytes: budget.bytes };
}
