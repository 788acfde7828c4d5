import { randomBytes } from "node:crypto";
import { rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Whether `dir` is on a file system that ignores case (macOS and Windows by
 * default, some mounts elsewhere). The file system is asked, not the OS
 * guessed: a probe file with a lower-case name is made and looked up by its
 * upper-cased name.
 */
export async function isCaseInsensitiveDir(dir: string): Promise<boolean> {
  const name = `.aves2-case-probe-${randomBytes(6).toString("hex")}`;
  const probe = join(dir, name);
  await writeFile(probe, "", { flag: "wx" });
  try {
    return await stat(join(dir, name.toUpperCase())).then(
      () => true,
      () => false,
    );
  } finally {
    await rm(probe, { force: true });
  }
}

/** The key two names share when case is ignored (and Unicode composition, which such file systems also ignore). */
export function caseFold(name: string): string {
  return name.normalize("NFC").toLowerCase();
}
