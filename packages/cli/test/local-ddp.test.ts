/**
 * Local distributed runs: when one rank fails, the others (which would wait
 * forever on a collective) are stopped, and the run fails with that rank's
 * error, not with the SIGTERM the others got from us.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { alive, runCli, tempDir } from "./cli.js";

/** An ad-hoc catalog: rank `fail_rank` exits 3 after half a second; the other ranks would wait ten minutes. */
let catalog: string;
beforeAll(() => {
  catalog = tempDir("aves2-failrank-");
  writeFileSync(join(catalog, "aves2.config.yaml"), "# an ad-hoc catalog for the local DDP failure test\n");
  const dir = join(catalog, "components", "failrank");
  mkdirSync(join(dir, "src"), { recursive: true });
  writeFileSync(
    join(dir, "component.yaml"),
    `name: failrank
title: One rank fails
description: Rank fail_rank exits 3 at once; the other ranks wait.
category: test/fixture
framework: generic
command: [node, main.mjs]
source: src
params:
  - name: fail_rank
    type: integer
    default: 1
outputs:
  - name: result_dir
distribute: [none, PYTORCH_DDP]
`,
  );
  writeFileSync(
    join(dir, "src", "main.mjs"),
    `import { writeFileSync } from "node:fs";
import { join } from "node:path";
const args = process.argv.slice(2);
const opt = (n) => args[args.indexOf("--" + n) + 1];
const rank = Number(process.env.RANK ?? 0);
writeFileSync(join(opt("result_dir"), "..", "pid-" + rank), String(process.pid));
if (rank === Number(opt("fail_rank"))) {
  setTimeout(() => { console.error("rank " + rank + ": out of cheese"); process.exit(3); }, 500);
} else {
  console.log("rank " + rank + ": waiting");
  setTimeout(() => {}, 600000);
}
`,
  );
});

describe("local PYTORCH_DDP: one rank fails", () => {
  it("the others are stopped and the run fails with that rank's error (exit 1)", async () => {
    const runs = tempDir();
    // the other ranks would wait 10 minutes: this returns at all only if they were stopped
    const r = await runCli(["run", "failrank", "--distribute", "PYTORCH_DDP", "--workers", "3"], { cwd: catalog, env: { AVES2_RUNS_DIR: runs } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/\[worker-1\] rank 1: out of cheese|rank 1: out of cheese/);
    expect(r.stdout + r.stderr).toMatch(/worker-1 exited with code 3: rank 1: out of cheese/);
    expect(r.stdout + r.stderr).not.toMatch(/killed by SIGTERM/);
    const [runId] = readdirSync(runs);
    const record = JSON.parse(readFileSync(join(runs, runId!, "run.json"), "utf8"));
    expect(record).toMatchObject({ state: "failed", exitCode: 3, reason: "worker-1 exited with code 3: rank 1: out of cheese" });
    for (const rank of [0, 1, 2]) {
      const pid = Number(readFileSync(join(runs, runId!, "output", `pid-${rank}`), "utf8"));
      expect(alive(pid), `rank ${rank} (pid ${pid}) still runs`).toBe(false);
    }
  });

  it("rank 0 failing is reported as worker-0", async () => {
    const runs = tempDir();
    const r = await runCli(["run", "failrank", "--distribute", "PYTORCH_DDP", "--workers", "2", "--set", "fail_rank=0"], { cwd: catalog, env: { AVES2_RUNS_DIR: runs } });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/worker-0 exited with code 3: rank 0: out of cheese/);
  });
});
