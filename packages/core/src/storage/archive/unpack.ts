import { intoFreshDir } from "./entry-guard.js";
import { unpackTar } from "./tar.js";
import { unpackZip } from "./zip.js";

/**
 * Unpacks an archive (`.zip`, `.tar`, `.tar.gz`, `.tgz`, judged by `name`)
 * into `dir`, which must not exist yet or be empty. Entries that would land
 * outside `dir` are refused with a UserError and `dir` is removed again, so a
 * bad archive leaves nothing behind.
 */
export async function unpackArchive(file: string, dir: string, opts: { name: string; label: string; what?: string }): Promise<{ files: number; bytes: number }> {
  let result = { files: 0, bytes: 0 };
  const zip = /\.zip$/i.test(opts.name.replace(/\/+$/, ""));
  await intoFreshDir(dir, async () => {
    result = zip ? await unpackZip(file, dir, opts.label, opts.what) : await unpackTar(file, dir, opts.label, opts.what);
  });
  return result;
}
