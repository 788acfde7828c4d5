import { createReadStream, createWriteStream } from "node:fs";
import { link, mkdir, symlink } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import { UserError } from "../errors.js";
import type { EntryGuard } from "./entry-guard.js";
import type { UnpackBudget } from "./limits.js";

const FILE_TYPES = new Set(["File", "OldFile", "ContiguousFile"]);

/**
 * Unpacks a .tar / .tar.gz / .tgz (compression is detected from the bytes)
 * into `dir`, one entry at a time, each checked by the guard before it is
 * written. Device files, FIFOs and the like are refused. The budget counts
 * entries and the bytes written; at the first problem reading stops, so a
 * bomb is not inflated any further.
 */
export async function unpackTar(file: string, guard: EntryGuard, budget: UnpackBudget): Promise<{ files: number; bytes: number }> {
  const { Parser } = await import("tar");
  const { label, what } = guard;
  let files = 0;
  // entries are handled strictly one after another: the parser waits while one is written
  let chain: Promise<void> = Promise.resolve();
  let failed: unknown;
  let stop: (e: unknown) => void = () => {};
  /** The entry whose data is being written, if any. */
  let writing: { destroy(er?: Error): void } | undefined;
  const parser = new Parser({ strict: true });
  const source = createReadStream(file);

  parser.on("entry", (entry) => {
    entry.pause();
    chain = chain.then(async () => {
      if (failed) return void entry.resume();
      try {
        budget.entry();
        const rel = guard.name(entry.path);
        if (rel === undefined) return void entry.resume();
        if (entry.type === "Directory") {
          guard.dir(rel);
          await mkdir(await guard.place(rel), { recursive: true });
          entry.resume();
        } else if (FILE_TYPES.has(entry.type)) {
          guard.file(rel);
          const dest = await guard.place(rel);
          const mode = (entry.mode ?? 0o644) & 0o111 ? 0o755 : 0o644;
          // reading may have failed while the folder was made: then this entry's data never comes
          if (failed) return;
          writing = entry;
          try {
            await pipeline(entry as unknown as Readable, budget.meter(), createWriteStream(dest, { mode }));
          } finally {
            writing = undefined;
          }
          files++;
        } else if (entry.type === "SymbolicLink") {
          guard.symlink(rel, entry.linkpath ?? "");
          await symlink(entry.linkpath!, await guard.place(rel));
          entry.resume();
        } else if (entry.type === "Link") {
          const target = guard.hardlink(rel, entry.linkpath ?? "");
          await link(target, await guard.place(rel));
          files++;
          entry.resume();
        } else {
          guard.reject(entry.path, `is a ${entry.type} entry, which a data or code archive should not hold`);
        }
      } catch (e) {
        failed ??= e;
        stop(e);
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    // no more is read once an entry failed: the rest of the archive is not inflated just to be thrown away
    stop = (e) => {
      source.destroy();
      reject(e);
    };
    parser.on("error", (e: Error) => reject(e));
    parser.on("end", () => resolve());
    source.on("error", reject);
    source.on("data", (chunk) => {
      if (!parser.write(chunk as Buffer)) source.pause();
    });
    parser.on("drain", () => source.resume());
    source.on("end", () => parser.end());
  }).catch((e: Error) => {
    failed ??= e instanceof UserError ? e : unreadable(e, label, what);
    // tar gave up on the stream (a gzip error, its ratio guard): the entry being written would wait for its data
    // forever. It is destroyed with an error, since a Minipass destroyed without one tells its pipeline nothing.
    writing?.destroy(new Error("the archive broke off"));
  });
  await chain;
  if (failed) throw failed;
  await guard.verify();
  return { files, bytes: budget.bytes };
}

function unreadable(e: Error, label: string, what?: string): UserError {
  const where = what ? { path: what } : {};
  // tar's own guard: it aborts a gzip stream that inflates more than 1000 times (zeros do; real data hardly ever)
  if (/decompression ratio exceeded/.test(e.message)) {
    return UserError.of(`archive ${label} inflates more than 1000 times its compressed size (${e.message}); nothing was unpacked`, {
      ...where,
      hint: "a damaged or malicious archive, a zip bomb? Genuine data this compressible can be packed as a plain .tar",
    });
  }
  return UserError.of(`archive ${label} cannot be read: ${e.message}`, { ...where, hint: "is it a complete .tar or .tar.gz file?" });
}
