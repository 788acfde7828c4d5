import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { UserError } from "../errors.js";
import { type RunRecord, upgradeRecord } from "./record.js";

/**
 * The runs recorded on this machine, whatever backend ran them: one folder
 * per run under the runs folder (`.aves2/runs/<run-id>/`), with run.json and
 * the logs beside it.
 */

export const RECORD_FILE = "run.json";
/** Written by `cancel` (from any process); the process following the run reads it. */
export const CANCEL_FILE = "cancel-requested";

export function logFile(runDir: string, replica: string): string {
  return join(runDir, "logs", `${replica}.log`);
}
export function eventsFile(runDir: string): string {
  return join(runDir, "logs", "events.jsonl");
}

/** Written to a temp file and renamed, so readers never see half a record (nor a half-written temp file, on a full disk). */
export function writeRecord(runDir: string, record: RunRecord): void {
  const tmp = join(runDir, `.${RECORD_FILE}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
    renameSync(tmp, join(runDir, RECORD_FILE));
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Makes a run's folder, failing if it exists: of runs started at once (in
 * the same second, from several processes), each gets a folder of its own or
 * a clear error, never another run's folder.
 */
export function claimRunDir(runDir: string): void {
  mkdirSync(dirname(runDir), { recursive: true });
  try {
    mkdirSync(runDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    throw UserError.of("a run with this id already exists", { path: runDir, hint: "run it again: a new run gets a new id" });
  }
}

export function readRecordAt(runDir: string): RunRecord | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(join(runDir, RECORD_FILE), "utf8"));
  } catch {
    return undefined;
  }
  return raw && typeof raw === "object" && !Array.isArray(raw) ? upgradeRecord(raw as Record<string, unknown>) : undefined;
}

export function runIds(runsDir: string): string[] {
  if (!existsSync(runsDir)) return [];
  return readdirSync(runsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(runsDir, d.name, RECORD_FILE)))
    .map((d) => d.name);
}

/** Every readable record in the runs folder; of one backend when `backend` is given. */
export function readRecords(runsDir: string, backend?: string): RunRecord[] {
  const all = runIds(runsDir).flatMap((id) => readRecordAt(join(runsDir, id)) ?? []);
  return backend === undefined ? all : all.filter((r) => r.backend === backend);
}

/** A run by id or by a unique prefix of it (ids are long). */
export function resolveRunDir(runsDir: string, idOrPrefix: string): string {
  const ids = runIds(runsDir);
  if (ids.includes(idOrPrefix)) return join(runsDir, idOrPrefix);
  const hits = ids.filter((id) => id.startsWith(idOrPrefix));
  if (hits.length === 1) return join(runsDir, hits[0]!);
  if (hits.length > 1) {
    throw UserError.of(`"${idOrPrefix}" matches ${hits.length} runs`, { hint: `be more specific: ${hits.slice(0, 3).join(", ")}${hits.length > 3 ? ", ..." : ""}` });
  }
  throw UserError.of(`no run "${idOrPrefix}"`, { path: runsDir, hint: "`component runs` lists them" });
}
