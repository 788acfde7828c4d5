import { existsSync, readdirSync, readFileSync } from "node:fs";

/**
 * Which process a recorded pid was. A pid is reused once its process is gone,
 * so a run records each of its processes as a pid with its start time (clock
 * ticks after boot, /proc/<pid>/stat field 22) and the boot's id: together they
 * name one process for good, and a reused pid never passes for a run's.
 * Without /proc (not Linux) no start time is recorded and the pid alone is asked.
 */

export interface ProcessStat {
  /** Clock ticks after boot (field 22). */
  readonly start: number;
  /** Its process group (field 5). */
  readonly pgrp: number;
  /** Exited, not yet reaped: no longer running. */
  readonly zombie: boolean;
}

const HAS_PROC = existsSync("/proc/self/stat");

export function readStat(pid: number): ProcessStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // field 2, the command name, is in parentheses and may hold spaces and ')': count from the last ')'
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { zombie: rest[0] === "Z" || rest[0] === "X", pgrp: Number(rest[2]), start: Number(rest[19]) };
}

let boot: string | undefined | null = null;

/** This boot's id: start times count from boot, so a record from an earlier boot names no process running now. */
export function bootId(): string | undefined {
  if (boot === null) {
    try {
      boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() || undefined;
    } catch {
      boot = undefined;
    }
  }
  return boot;
}

/** The start time to record beside a pid (undefined without /proc). */
export function startOf(pid: number | undefined): number | undefined {
  return pid ? readStat(pid)?.start : undefined;
}

/** Whether the process recorded as (pid, start) runs; with no recorded start, whether the pid does. */
export function isRunning(pid: number | undefined, start?: number): boolean {
  if (!pid) return false;
  const stat = readStat(pid);
  if (stat) return !stat.zombie && (start === undefined || stat.start === start);
  if (HAS_PROC) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Whether the process group a replica led (pid, start) still has a running
 * member of ours. The leader may be gone while what it started lives on; a
 * group id cannot be handed out again while any member holds it, and members
 * of ours started no earlier than their leader.
 */
export function groupRunning(pid: number, start: number | undefined): boolean {
  if (!HAS_PROC) return signalsGroup(pid);
  // a record without start times (written before they were kept) proves nothing about who holds the pid now
  if (start === undefined) return false;
  const leader = readStat(pid);
  if (leader && leader.start !== start) return false; // the pid is another process's now: our group is gone
  if (leader && !leader.zombie) return true;
  return groupMembers(pid).some((m) => m.start >= start);
}

function signalsGroup(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The running processes of a process group (from /proc; none without it). */
export function groupMembers(pgid: number): (ProcessStat & { pid: number })[] {
  if (!HAS_PROC) return [];
  const members: (ProcessStat & { pid: number })[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat && stat.pgrp === pgid && !stat.zombie) members.push({ pid: Number(name), ...stat });
  }
  return members;
}
