import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../../errors.js";
import { type RunRecord, TERMINAL_STATES } from "../backend.js";

export const RECORD_FILE = "run.json";
export const CANCEL_FILE = "cancel-requested";

export function logFile(runDir: string, replica: string): string {
  return join(runDir, "logs", `${replica}.log`);
}
export function eventsFile(runDir: string): string {
  return join(runDir, "logs", "events.jsonl");
}

/** Written to a temp file and renamed, so readers never see half a record. */
export function writeRecord(runDir: string, record: RunRecord): void {
  const tmp = join(runDir, `.${RECORD_FILE}.${process.pid}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(tmp, join(runDir, RECORD_FILE));
}

export function readRecordAt(runDir: string): RunRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(runDir, RECORD_FILE), "utf8")) as RunRecord;
  } catch {
    return undefined;
  }
}

/** Every readable record in the runs folder, whatever backend ran it. */
export function readRecords(runsDir: string): RunRecord[] {
  return runIds(runsDir).flatMap((id) => readRecordAt(join(runsDir, id)) ?? []);
}

export function runIds(runsDir: string): string[] {
  if (!existsSync(runsDir)) return [];
  return readdirSync(runsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(runsDir, d.name, RECORD_FILE)))
    .map((d) => d.name);
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

export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A local record as it stands: one left unfinished by a supervisor that is gone has failed. */
export function withLiveness(dir: string, record: RunRecord): RunRecord {
  if (TERMINAL_STATES.includes(record.state)) return record;
  if (isAlive(record.details.supervisorPid as number | undefined)) return record;
  // re-read: the supervisor may have finished between the two reads
  const fresh = readRecordAt(dir) ?? record;
  if (TERMINAL_STATES.includes(fresh.state)) return fresh;
  return { ...fresh, state: "failed", reason: "the process supervising this run exited before the run ended" };
}
