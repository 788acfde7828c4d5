import { isTerminal, type RunRecord } from "../../records/record.js";
import { readRecordAt } from "../../records/run-store.js";

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
  if (isTerminal(record.state)) return record;
  if (isAlive(record.details.supervisorPid as number | undefined)) return record;
  // re-read: the supervisor may have finished between the two reads
  const fresh = readRecordAt(dir) ?? record;
  if (isTerminal(fresh.state)) return fresh;
  return { ...fresh, state: "failed", reason: "the process supervising this run exited before the run ended" };
}
