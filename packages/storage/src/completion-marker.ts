import type { MarkerFacts } from "./store.js";

/**
 * The completion marker of an output: written last, after every file is
 * saved, so a reader can tell complete outputs from partial ones (the Hadoop
 * convention, `_SUCCESS`), and holding a manifest so it can also check them.
 */
export const MARKER = "_SUCCESS";

export interface ManifestFile {
  readonly path: string;
  readonly size: number;
  readonly md5: string;
}

export interface Manifest extends MarkerFacts {
  readonly format: "aves2-manifest/1";
  readonly writtenAt: string;
  readonly files: readonly ManifestFile[];
  readonly totalBytes: number;
}

export function manifest(files: readonly ManifestFile[], facts: MarkerFacts): Manifest {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    format: "aves2-manifest/1",
    ...facts,
    writtenAt: new Date().toISOString(),
    files: sorted,
    totalBytes: sorted.reduce((n, f) => n + f.size, 0),
  };
}

export function manifestText(m: Manifest): string {
  return `${JSON.stringify(m, null, 1)}\n`;
}
