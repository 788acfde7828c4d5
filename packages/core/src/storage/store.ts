import type { DataUri } from "./uri.js";

/** What one stage-in or stage-out moved; kept in the run record. */
export interface Transfer {
  readonly direction: "in" | "out";
  readonly name: string;
  readonly uri: string;
  readonly local: string;
  readonly files: number;
  readonly bytes: number;
  readonly seconds: number;
  /** How it was staged: `link`, `copy`, `download`, ... */
  readonly method: string;
}

export type TransferProgress = (p: { name: string; files: number; bytes: number; totalFiles?: number; totalBytes?: number }) => void;

/**
 * One storage scheme. `check*` run before anything starts (so a bad path
 * fails the run before a process or a folder is created); `stage*` move data.
 */
export interface Store {
  readonly scheme: DataUri["scheme"];
  checkInput(uri: DataUri, what: string): Promise<void>;
  checkOutput(uri: DataUri, what: string): Promise<void>;
  /** Makes the data at `uri` readable at `dir` (which does not exist yet). */
  stageIn(uri: DataUri, dir: string, name: string, progress?: TransferProgress): Promise<Transfer>;
  /** Saves the contents of `dir` to `uri`. */
  stageOut(dir: string, uri: DataUri, name: string, progress?: TransferProgress): Promise<Transfer>;
  /** The folder a process can read `uri` from without staging, when there is one (local paths). */
  localPath?(uri: DataUri): string | undefined;
}
