import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { isTerminal, type RunRecord } from "../../records/record.js";
import { CANCEL_FILE, readRecordAt, writeRecord } from "../../records/run-store.js";
import { killGroup } from "./process-group.js";
import { bootId, groupRunning, isRunning } from "./process-identity.js";
import { SUPERVISOR_LOG } from "./supervisor-process.js";

export const SUPERVISOR_GONE = "the process supervising this run exited before the run ended";

/** The facts a local record keeps about its processes (in `details`). */
interface ProcessDetails {
  readonly supervisorPid?: number;
  readonly supervisorStart?: number;
  readonly bootId?: string;
  readonly pids?: Readonly<Record<string, number>>;
  readonly pidStarts?: Readonly<Record<string, number>>;
}

const details = (r: RunRecord) => r.details as ProcessDetails;
const sameBoot = (r: RunRecord) => !details(r).bootId || !bootId() || details(r).bootId === bootId();

/** Whether the process carrying the run (its pid with its start time, when recorded) still runs. */
export function supervisorRunning(record: RunRecord): boolean {
  return sameBoot(record) && isRunning(details(record).supervisorPid, details(record).supervisorStart);
}

/**
 * A local record as it stands. A run left unfinished by a supervisor that is
 * gone (killed, crashed, the machine restarted) is ended here, by whoever
 * notices first (`status`, `runs`, `logs -f`, an attached `run`): the
 * process groups it left are killed at once, since nobody is left to record
 * them or save their outputs, and the record says failed, with why. Never a
 * live process with a dead record.
 */
export function withLiveness(dir: string, record: RunRecord): RunRecord {
  if (isTerminal(record.state)) return record;
  if (supervisorRunning(record)) return record;
  // re-read: the supervisor may have finished between the two reads
  const fresh = readRecordAt(dir) ?? record;
  if (isTerminal(fresh.state)) return fresh;
  const stopped = stopOrphans(fresh);
  const canceled = existsSync(join(dir, CANCEL_FILE));
  const why = [
    canceled ? "canceled by the user, but the process supervising it exited before the run ended" : SUPERVISOR_GONE,
    ...(stopped.length ? [`its processes were stopped (${stopped.join(", ")})`] : []),
    ...(hasMessages(dir) ? [`its messages: ${join(dir, SUPERVISOR_LOG)}`] : []),
  ];
  const ended: RunRecord = { ...fresh, state: canceled ? "canceled" : "failed", reason: why.join("; "), endedAt: new Date().toISOString() };
  try {
    writeRecord(dir, ended);
  } catch {
    // a runs folder we cannot write: the state is still reported as it is
  }
  return ended;
}

/** Kills the process groups of a run whose supervisor is gone; the replicas whose group was still there. */
function stopOrphans(record: RunRecord): string[] {
  const { pids = {}, pidStarts = {} } = details(record);
  if (!sameBoot(record)) return [];
  const stopped: string[] = [];
  for (const [replica, pid] of Object.entries(pids)) {
    const start = pidStarts[replica];
    // the leader itself too: it may have left its group (a process that daemonizes)
    const leader = start !== undefined && isRunning(pid, start) && killProcess(pid);
    if ((groupRunning(pid, start) && killGroup(pid, "SIGKILL")) || leader) stopped.push(replica);
  }
  return stopped;
}

function killProcess(pid: number): boolean {
  try {
    process.kill(pid, "SIGKILL");
    return true;
  } catch {
    return false;
  }
}

function hasMessages(dir: string): boolean {
  try {
    return statSync(join(dir, SUPERVISOR_LOG)).size > 0;
  } catch {
    return false;
  }
}
