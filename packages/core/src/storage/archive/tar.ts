import { createReadStream, createWriteStream } from "node:fs";
import { link, mkdir, symlink } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import { UserError } from "../../errors.js";
import { EntryGuard } from "./entry-guard.js";

const FILE_TYPES = new Set(["File", "OldFile", "ContiguousFile"]);

/**
 * Unpacks a .tar / .tar.gz / .tgz (compression is detected from the bytes)
 * into `dir`, one entry at a time, each checked by the guard before it is
 * written. Device files, FIFOs and the like are refused.
 */
export async function unpackTar(file: string, dir: string, label: string, what?: string): Promise<{ files: number; bytes: number }> {
  const { Parser } = await import("tar");
  const guard = new EntryGuard(dir, label, what);
  let files = 0;
  let bytes = 0;
  // entries are handled strictly one after another: the parser waits while one is written
  let chain: Promise<void> = Promise.resolve();
  let failed: unknown;
  const parser = new Parser({ strict: true });
  const source = createReadStream(file);

  parser.on("entry", (entry) => {
    entry.pause();
    chain = chain.then(async () => {
      if (failed) return void entry.resume();
      try {
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
          await pipeline(entry as unknown as Readable, createWriteStream(dest, { mode }));
          files++;
          bytes += entry.size;
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
        entry.resume();
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    parser.on("error", (e: Error) => reject(e));
    parser.on("end", () => resolve());
    source.on("error", reject);
    source.on("data", (chunk) => {
      if (!parser.write(chunk as Buffer)) source.pause();
    });
    parser.on("drain", () => source.resume());
    source.on("end", () => parser.end());
  }).catch((e: Error) => {
    failed ??= e instanceof UserError ? e : UserError.of(`archive ${label} cannot be read: ${e.message}`, { ...(what ? { path: what } : {}), hint: "is it a complete .tar or .tar.gz file?" });
  });
  await chain;
  if (failed) throw failed;
  await guard.verify();
  return { files, bytes };
}
