import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { alive, collectOutput, runCli, startCli, tempDir, waitFor } from "./cli.js";

function record(runs: string, id?: string) {
  const ids = readdirSync(runs);
  const runId = id ?? ids[0];
  if (!runId || !existsSync(join(runs, runId, "run.json"))) return undefined;
  return JSON.parse(readFileSync(join(runs, runId, "run.json"), "utf8"));
}

describe("run on the local backend", () => {
  it("runs, records, and lists a run; logs and status read it back", async () => {
    const runs = tempDir();
    const env = { AVES2_RUNS_DIR: runs };
    const r = await runCli(["run", "echo", "--set", "epochs=3"], { env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("epoch 3/3 done");
    expect(r.stdout).toMatch(/✓ succeeded in [\d.]+s/);
    expect(r.stdout).toContain("metrics: top1=0.5000  message=hello");

    const rec = record(runs);
    expect(rec).toMatchObject({ state: "succeeded", exitCode: 0, component: { name: "echo", version: "0.0.0" }, backend: "local" });
    expect(rec.metrics.epochs).toHaveLength(3);
    expect(rec.metrics.epochs[2]).toMatchObject({ epoch: 3, epochs: 3, loss: 1 / 3 });
    expect(rec.metrics.summary).toEqual({ top1: 0.5, message: "hello" });
    expect(Date.parse(rec.endedAt)).toBeGreaterThanOrEqual(Date.parse(rec.startedAt));
    const runDir = join(runs, rec.runId);
    expect(existsSync(join(runDir, "src", "main.mjs"))).toBe(true);
    expect(readdirSync(join(runDir, "output", "result_dir")).sort()).toEqual(["argv.json", "epoch-1.txt", "epoch-2.txt", "epoch-3.txt", "grandchild.pid"]);
    expect(readFileSync(join(runDir, "logs", "worker-0.log"), "utf8")).not.toContain("AVES2_EVENT");
    expect(readFileSync(join(runDir, "logs", "events.jsonl"), "utf8").trim().split("\n").length).toBeGreaterThanOrEqual(7);

    const logs = await runCli(["logs", rec.runId], { env });
    expect(logs.code).toBe(0);
    expect(logs.stdout.trim().split("\n")).toEqual([expect.stringMatching(/^echo: rank 0 of 1, data has 1 file/), "epoch 1/3 done", "epoch 2/3 done", "epoch 3/3 done"]);

    const list = await runCli(["runs", "--json"], { env });
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ runId: rec.runId, state: "succeeded" })]);
    const table = await runCli(["runs"], { env });
    expect(table.stdout).toMatch(new RegExp(`${rec.runId}\\s+echo@0\\.0\\.0\\s+succeeded`));

    const status = await runCli(["status", rec.runId.slice(0, 12)], { env });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`${rec.runId}  succeeded`);
    expect(status.stdout).toMatch(/EPOCH\s+EPOCHS|EPOCH\s+LOSS/);
  });

  it("passes param values to the process literally (no shell)", async () => {
    const runs = tempDir();
    const marker = join(tempDir(), "pwned");
    const hostile = `a b; touch ${marker} $(touch ${marker}) 'q' "d" \`x\` | & > <`;
    const r = await runCli(["run", "echo", "--set", `message=${hostile}`, "--set", "epochs=1"], { env: { AVES2_RUNS_DIR: runs } });
    expect(r.code).toBe(0);
    const rec = record(runs);
    const argv = JSON.parse(readFileSync(join(runs, rec.runId, "output/result_dir/argv.json"), "utf8")).argv;
    expect(argv[argv.indexOf("--message") + 1]).toBe(hostile);
    expect(existsSync(marker)).toBe(false);
  });

  it("an entry that refuses its input (the process contract's exit 2) ends the command with 2, its error line said", async () => {
    const runs = tempDir();
    const r = await runCli(["run", "echo", "--set", "exit_code=2"], { env: { AVES2_RUNS_DIR: runs } });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("worker-0 exited with code 2: echo: failing on purpose with 2");
    expect(record(runs)).toMatchObject({ state: "failed", exitCode: 2 });
  });

  it("a failing process fails the run (exit 1) with its last error line; outputs are still saved", async () => {
    const runs = tempDir();
    const out = join(tempDir(), "results");
    const r = await runCli(["run", "echo", "--set", "exit_code=3", "--output", `result_dir=${out}`], { env: { AVES2_RUNS_DIR: runs } });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("✗ failed");
    expect(r.stdout).toContain("worker-0 exited with code 3: echo: failing on purpose with 3");
    const rec = record(runs);
    expect(rec).toMatchObject({ state: "failed", exitCode: 3 });
    expect(readdirSync(out)).toContain("epoch-2.txt");
    expect(rec.transfers.find((t: { direction: string; name: string }) => t.direction === "out" && t.name === "result_dir")).toMatchObject({ uri: out, method: "copy" });
  });

  it("`component cancel` stops the whole process tree, records canceled, keeps outputs", async () => {
    const runs = tempDir();
    const env = { AVES2_RUNS_DIR: runs };
    const child = startCli(["run", "echo", "--set", "epochs=50", "--set", "sleep=0.3"], { env });
    const done = collectOutput(child);
    const rec = await waitFor(() => {
      const r = record(runs);
      return r?.state === "running" && r.metrics.epochs.length >= 1 ? r : undefined;
    });
    const grandchild = Number(readFileSync(join(runs, rec.runId, "output/result_dir/grandchild.pid"), "utf8"));
    expect(alive(grandchild)).toBe(true);

    const c = await runCli(["cancel", rec.runId], { env });
    expect(c.code).toBe(0);
    expect(c.stdout).toContain("canceled");
    const r = await done;
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("■ canceled");
    expect(record(runs)).toMatchObject({ state: "canceled", reason: "canceled by the user" });
    await waitFor(() => !alive(grandchild));
    expect(existsSync(join(runs, rec.runId, "output/result_dir/epoch-1.txt"))).toBe(true);

    const again = await runCli(["cancel", rec.runId], { env });
    expect(again.stdout).toContain("had already ended: canceled");
  });

  it("Ctrl-C (SIGINT) cancels the run", async () => {
    const runs = tempDir();
    const child = startCli(["run", "echo", "--set", "epochs=50", "--set", "sleep=0.3"], { env: { AVES2_RUNS_DIR: runs } });
    const done = collectOutput(child);
    await waitFor(() => record(runs)?.state === "running");
    child.kill("SIGINT");
    const r = await done;
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("canceling");
    expect(record(runs)?.state).toBe("canceled");
  });

  it("--detach returns the id at once; logs -f follows to the end", async () => {
    const runs = tempDir();
    const env = { AVES2_RUNS_DIR: runs };
    const r = await runCli(["run", "echo", "--detach", "--set", "epochs=4", "--set", "sleep=0.2"], { env });
    expect(r.code).toBe(0);
    const id = r.stdout.trim();
    expect(id).toMatch(/^echo-\d{8}-\d{6}-[a-z0-9]{4}$/);
    const logs = await runCli(["logs", id, "-f"], { env });
    expect(logs.stdout).toContain("epoch 4/4 done");
    const status = JSON.parse((await runCli(["status", id, "--json"], { env })).stdout);
    expect(status.state).toBe("succeeded");
    expect(status.metrics.epochs).toHaveLength(4);
  });

  it("PYTORCH_DDP starts one process per worker with the torch environment", async () => {
    const runs = tempDir();
    const r = await runCli(["run", "echo", "--distribute", "PYTORCH_DDP", "--workers", "2", "--set", "epochs=1"], { env: { AVES2_RUNS_DIR: runs } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("[worker-0] echo: rank 0 of 2");
    expect(r.stdout).toContain("[worker-1] echo: rank 1 of 2");
    const rec = record(runs);
    const env = JSON.parse(readFileSync(join(runs, rec.runId, "output/result_dir/argv.json"), "utf8")).env;
    expect(env).toMatchObject({ RANK: "0", WORLD_SIZE: "2", MASTER_ADDR: "127.0.0.1" });
    expect(Number(env.MASTER_PORT)).toBeGreaterThan(0);
  });

  it("--workers without a distribute type is a usage error", async () => {
    const r = await runCli(["run", "echo", "--workers", "2"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("2 workers need a distribute type");
  });

  it("status of an unknown run is a clear error", async () => {
    const r = await runCli(["status", "nope"], { env: { AVES2_RUNS_DIR: tempDir() } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: .*: no run "nope" \(`component runs` lists them\)$/m);
  });
});

describe("run records", () => {
  it("a run whose supervisor died is reported failed, not running forever", async () => {
    const runs = tempDir();
    const env = { AVES2_RUNS_DIR: runs };
    const r = await runCli(["run", "echo", "--set", "epochs=1"], { env });
    expect(r.code).toBe(0);
    const rec = record(runs);
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(runs, rec.runId, "run.json"), JSON.stringify({ ...rec, state: "running", endedAt: undefined, details: { ...rec.details, supervisorPid: 2 ** 22 + 7 } }));
    const s = JSON.parse((await runCli(["status", rec.runId, "--json"], { env })).stdout);
    expect(s).toMatchObject({ state: "failed", reason: "the process supervising this run exited before the run ended" });
  });
});
