/**
 * A local run is carried by a supervisor process of its own, whatever
 * happens to the CLI that started it: never a live process with a dead
 * record. Real processes throughout: the built CLI, its supervisor, and a
 * POSIX sh component (fixtures/supervision-catalog) that sleeps through its
 * epochs and answers SIGTERM as told (exit cleanly, or ignore it).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { collectOutput, runCli as run, startCli as start, tempDir, waitFor } from "./cli.js";

const CATALOG = fileURLToPath(new URL("./fixtures/supervision-catalog", import.meta.url));
const runCli = (args: string[], env: Record<string, string>) => run(args, { cwd: CATALOG, env });
const startCli = (args: string[], env: Record<string, string>) => start(args, { cwd: CATALOG, env });

interface Details {
  supervisorPid: number;
  supervisorStart?: number;
  pids: Record<string, number>;
  pidStarts: Record<string, number>;
}

function record(runs: string) {
  const id = readdirSync(runs)[0];
  if (!id || !existsSync(join(runs, id, "run.json"))) return undefined;
  return JSON.parse(readFileSync(join(runs, id, "run.json"), "utf8")) as { runId: string; state: string; reason?: string; exitCode?: number; metrics: { epochs: unknown[] }; details: Details };
}

/** Field 3 (state), 5 (process group) and 22 (start time) of /proc/<pid>/stat; undefined once it is gone. */
function stat(pid: number): { state: string; pgrp: number; start: number } | undefined {
  try {
    const rest = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ").pop()!.split(" ");
    return { state: rest[0]!, pgrp: Number(rest[2]), start: Number(rest[19]) };
  } catch {
    return undefined;
  }
}

/** Running, not a zombie waiting to be reaped (an orphan's reaper may be slow, or absent in a container). */
const running = (pid: number) => ["R", "S", "D", "T", "t"].includes(stat(pid)?.state ?? "Z");

/** The running processes of a process group: a replica's whole tree (here the shell and its `sleep`). */
function group(pgid: number): number[] {
  return readdirSync("/proc")
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((pid) => stat(pid)?.pgrp === pgid && running(pid));
}

/** A run under way: its record says running, with its first epoch done. */
const underWay = (runs: string) =>
  waitFor(() => {
    const r = record(runs);
    return r?.state === "running" && r.metrics.epochs.length >= 1 ? r : undefined;
  });

describe("the CLI of an attached run dies: the run goes on", () => {
  it.each(["SIGKILL", "SIGHUP"] as const)("%s: status says running (supervisor pid and start time), logs -f follows it to its end", async (signal) => {
    const runs = tempDir();
    const env = { AVES2_RUNS_DIR: runs };
    // long enough (7 s) that status and logs start while it goes, even on a busy machine
    const cli = startCli(["run", "sleeper", "--set", "epochs=12", "--set", "sleep=0.6"], env);
    const ended = collectOutput(cli);
    const rec = await underWay(runs);
    cli.kill(signal);
    expect((await ended).code).toBe(null); // killed, not exited

    const worker = rec.details.pids["worker-0"]!;
    expect(running(worker)).toBe(true);
    const status = JSON.parse((await runCli(["status", rec.runId, "--json"], env)).stdout);
    expect(status.state).toBe("running");
    const { supervisorPid, supervisorStart, pids, pidStarts } = status.details as Details;
    expect(supervisorPid).not.toBe(cli.pid);
    expect(running(supervisorPid)).toBe(true);
    expect(supervisorStart).toBe(stat(supervisorPid)!.start);
    expect(pids).toEqual({ "worker-0": worker });
    expect(pidStarts).toEqual({ "worker-0": stat(worker)!.start });
    const human = await runCli(["status", rec.runId], env);
    expect(human.stdout).toContain(`supervisor pid ${supervisorPid}   worker-0 pid ${worker}`);

    const logs = await runCli(["logs", rec.runId, "-f"], env);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain("epoch 12/12 done");
    const final = JSON.parse((await runCli(["status", rec.runId, "--json"], env)).stdout);
    expect(final).toMatchObject({ state: "succeeded", exitCode: 0 });
    expect(final.metrics.epochs).toHaveLength(12);
    await waitFor(() => !running(supervisorPid));
  });
});

describe("the supervisor dies: whoever notices stops what it left", () => {
  it("status kills the orphaned process group and records the run failed, with why", async () => {
    const runs = tempDir();
    const env = { AVES2_RUNS_DIR: runs };
    const r = await runCli(["run", "sleeper", "--detach", "--set", "epochs=1", "--set", "sleep=600"], env);
    expect(r.code, r.stderr).toBe(0);
    const rec = await waitFor(() => {
      const x = record(runs);
      return x?.state === "running" && group(x.details.pids["worker-0"]!).length >= 2 ? x : undefined;
    });
    const pgid = rec.details.pids["worker-0"]!;
    process.kill(rec.details.supervisorPid, "SIGKILL");
    await waitFor(() => !running(rec.details.supervisorPid));
    expect(group(pgid).length).toBeGreaterThanOrEqual(2); // the shell and its sleep, orphaned

    const status = JSON.parse((await runCli(["status", rec.runId, "--json"], env)).stdout);
    expect(status).toMatchObject({ state: "failed", reason: "the process supervising this run exited before the run ended; its processes were stopped (worker-0)" });
    expect(status.endedAt).toEqual(expect.any(String));
    await waitFor(() => group(pgid).length === 0);
    // recorded, not only reported
    expect(record(runs)).toMatchObject({ state: "failed", reason: status.reason });
  });

  it("an attached run's CLI notices, stops them, and ends as a failed run (exit 1)", async () => {
    const runs = tempDir();
    const env = { AVES2_RUNS_DIR: runs };
    const cli = startCli(["run", "sleeper", "--set", "epochs=1", "--set", "sleep=600"], env);
    const ended = collectOutput(cli);
    const rec = await waitFor(() => {
      const x = record(runs);
      return x?.state === "running" && group(x.details.pids["worker-0"]!).length >= 2 ? x : undefined;
    });
    const pgid = rec.details.pids["worker-0"]!;
    process.kill(rec.details.supervisorPid, "SIGKILL");
    const r = await ended;
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("✗ failed");
    expect(r.stdout).toContain("the process supervising this run exited before the run ended; its processes were stopped (worker-0)");
    await waitFor(() => group(pgid).length === 0);
  });

  it("a pid that another process holds now never makes a dead run look alive: its start time differs", async () => {
    const runs = tempDir();
    const env = { AVES2_RUNS_DIR: runs };
    expect((await runCli(["run", "sleeper", "--set", "epochs=1", "--set", "sleep=0"], env)).code).toBe(0);
    const done = record(runs)!;
    const file = join(runs, done.runId, "run.json");
    // this test's own process stands for the reused pid: alive, and with the recorded start time it counts as the supervisor
    const me = stat(process.pid)!.start;
    writeFileSync(file, JSON.stringify({ ...done, state: "running", endedAt: undefined, details: { ...done.details, supervisorPid: process.pid, supervisorStart: me } }));
    expect(JSON.parse((await runCli(["status", done.runId, "--json"], env)).stdout).state).toBe("running");
    writeFileSync(file, JSON.stringify({ ...done, state: "running", endedAt: undefined, details: { ...done.details, supervisorPid: process.pid, supervisorStart: me + 1 } }));
    expect(JSON.parse((await runCli(["status", done.runId, "--json"], env)).stdout)).toMatchObject({
      state: "failed",
      reason: "the process supervising this run exited before the run ended",
    });
  });
});

describe("Ctrl-C during an attached run", () => {
  it("once, with a child that traps SIGTERM and exits: canceled, outputs written so far kept", async () => {
    const runs = tempDir();
    const out = join(tempDir(), "results");
    const cli = startCli(["run", "sleeper", "--set", "epochs=50", "--set", "sleep=0.3", "--output", `result_dir=${out}`], { AVES2_RUNS_DIR: runs });
    const ended = collectOutput(cli);
    const rec = await underWay(runs);
    cli.kill("SIGINT");
    const r = await ended;
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("canceling (Ctrl-C again to kill at once)");
    expect(r.stdout).toContain("■ canceled");
    expect(record(runs)).toMatchObject({ state: "canceled", reason: "canceled by the user" });
    const saved = readdirSync(out);
    expect(saved).toEqual(expect.arrayContaining(["epoch-1.txt", "term-received", "clean-exit"]));
    expect(group(rec.details.pids["worker-0"]!)).toEqual([]);
  });

  it("once, with a child that ignores SIGTERM: it is killed after the grace period", async () => {
    const runs = tempDir();
    const cli = startCli(["run", "sleeper", "--set", "epochs=100", "--set", "sleep=0.3", "--set", "on_term=ignore"], { AVES2_RUNS_DIR: runs });
    const ended = collectOutput(cli);
    const rec = await underWay(runs);
    cli.kill("SIGINT");
    const r = await ended;
    expect(r.code).toBe(1);
    const result = join(runs, rec.runId, "output", "result_dir");
    // it got SIGTERM, went on, and only SIGKILL stopped it
    expect(readFileSync(join(result, "term-received"), "utf8")).toBe("SIGTERM\n");
    expect(existsSync(join(result, "clean-exit"))).toBe(false);
    const reason = "canceled by the user; worker-0 did not stop on SIGTERM and was killed after 8 s";
    expect(record(runs)).toMatchObject({ state: "canceled", reason });
    expect(r.stdout).toContain(reason);
    expect(group(rec.details.pids["worker-0"]!)).toEqual([]);
  });

  it("twice: killed at once", async () => {
    const runs = tempDir();
    const cli = startCli(["run", "sleeper", "--set", "epochs=100", "--set", "sleep=0.3", "--set", "on_term=ignore"], { AVES2_RUNS_DIR: runs });
    const ended = collectOutput(cli);
    const rec = await underWay(runs);
    const result = join(runs, rec.runId, "output", "result_dir");
    cli.kill("SIGINT");
    await waitFor(() => existsSync(join(result, "term-received")));
    cli.kill("SIGINT");
    const r = await ended;
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("killing...");
    expect(existsSync(join(result, "clean-exit"))).toBe(false);
    expect(record(runs)).toMatchObject({ state: "canceled", reason: "canceled by the user; killed at once (asked twice)" });
    expect(group(rec.details.pids["worker-0"]!)).toEqual([]);
  });
});

describe("the end of a run", () => {
  it("stops what a replica left running in its process group", async () => {
    const runs = tempDir();
    const r = await runCli(["run", "sleeper", "--set", "epochs=1", "--set", "sleep=0", "--set", "leave_behind=true"], { AVES2_RUNS_DIR: runs });
    expect(r.code, r.stderr).toBe(0);
    const rec = record(runs)!;
    const left = Number(readFileSync(join(runs, rec.runId, "output", "result_dir", "left-behind.pid"), "utf8"));
    await waitFor(() => !running(left));
    expect(group(rec.details.pids["worker-0"]!)).toEqual([]);
  });
});

describe("the engine used as a library", () => {
  it("with no supervisor started ahead (as `run` does), submit starts one of its own, and the run is carried the same way", async () => {
    const { LocalBackend, findComponent, requestFromFlags, resolveRun } = await import("@aves2/core");
    const runs = tempDir();
    const backend = new LocalBackend({ runsDir: runs, libs: [] });
    const spec = resolveRun(findComponent(CATALOG, "sleeper"), requestFromFlags("sleeper", { set: ["epochs=2", "sleep=0.1"] }, CATALOG, "local"));
    const events: unknown[] = [];
    const lines: string[] = [];
    const handle = await backend.submit(backend.plan(spec), spec, { onEvent: (e) => events.push(e), onLog: (l) => lines.push(l.text) });
    const end = await handle.wait();
    expect(end).toMatchObject({ state: "succeeded", exitCode: 0 });
    expect(end.details.supervisorPid).not.toBe(process.pid);
    expect(lines).toContain("epoch 2/2 done");
    expect(events).toContainEqual({ type: "metric", epoch: 2, epochs: 2, loss: 1 });
  });
});
