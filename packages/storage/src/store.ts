import type { S3Settings } from "./s3/settings.js";
import type { DataUri } from "./uri.js";

/** What one stage-in or stage-out moved; kept in the run record. */
export interface Transfer {
  readonly direction: "in" | "out";
  readonly name: string;
  readonly uri: string;
  readonly local: string;
  /** Files and bytes moved (or linked / unpacked). */
  readonly files: number;
  readonly bytes: number;
  readonly seconds: number;
  /** How it was staged: `link`, `copy`, `unpack`, `download`, `upload`, ... */
  readonly method: string;
  /** Files left alone because the destination (or the cache) already had them unchanged. */
  readonly skipped?: number;
  readonly skippedBytes?: number;
  /** Objects whose ETag could not be checked (only their size was), e.g. SSE-KMS. */
  readonly unverified?: number;
  /** Requests that were tried again (server errors, throttling, resets). */
  readonly retries?: number;
  /** The completion marker written last, when one was. */
  readonly marker?: string;
}

export interface TransferUpdate {
  readonly name: string;
  readonly direction: "in" | "out";
  readonly uri: string;
  readonly files: number;
  readonly bytes: number;
  readonly totalFiles?: number;
  readonly totalBytes?: number;
  readonly skippedFiles?: number;
  /** Bytes of the skipped files (counted in `bytes`, but not moved). */
  readonly skippedBytes?: number;
  readonly retries?: number;
  /** The last update of this transfer. */
  readonly done?: boolean;
}

export type TransferProgress = (p: TransferUpdate) => void;

/** Facts put in the completion marker of an output. */
export interface MarkerFacts {
  readonly runId?: string;
  readonly component?: string;
}

export interface StageOptions {
  readonly progress?: TransferProgress;
  /** Settings of the S3 endpoint for s3:// URIs (default: the environment's). */
  readonly s3?: S3Settings;
  /**
   * stage-out: write a completion marker (`_SUCCESS`: the files, their sizes
   * and MD5s) last, after every file is saved, so readers can tell a complete
   * output from a partial one. Without it any old marker is removed first.
   */
  readonly marker?: MarkerFacts | false;
  /** stage-in: the process may change these files (code): copy, never link. */
  readonly writable?: boolean;
}

/**
 * One storage scheme. `validate` is pure (plans use it); `check*` run before
 * anything starts (so a bad path fails the run before a process or a folder
 * is created); `stage*` move data.
 */
export interface Store {
  readonly scheme: DataUri["scheme"];
  /** Shape checks that need no I/O. */
  validate?(uri: DataUri, what: string, role: "input" | "output"): void;
  checkInput(uri: DataUri, what: string, opts?: StageOptions): Promise<void>;
  checkOutput(uri: DataUri, what: string, opts?: StageOptions): Promise<void>;
  /** Makes the data at `uri` (a folder, or an archive that is unpacked) readable at `dir` (which does not exist yet). */
  stageIn(uri: DataUri, dir: string, name: string, opts?: StageOptions): Promise<Transfer>;
  /** Saves the contents of `dir` to `uri`. */
  stageOut(dir: string, uri: DataUri, name: string, opts?: StageOptions): Promise<Transfer>;
  /** The folder a process can read `uri` from without staging, when there is one (local folders). */
  localPath?(uri: DataUri): string | undefined;
}
