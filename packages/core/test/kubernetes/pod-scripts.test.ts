/**
 * The pod's init (the training container's PID 1) and its uploader, run for
 * real by /bin/sh here, as the kubelet would run them, with the pod's
 * /aves2/run mapped to a temp folder: stop signals are sent to them as the
 * kubelet sends them when a run is canceled (SIGTERM to each container's
 * main process, at once). The init runs in a process group of its own, as a
 * container's first process does.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { alive, isolatedEnv, REPO, type S3TestServer, startS3Server, waitFor } from "@aves2/testkit";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { PATHS } from "../../src/backends/kubernetes/pod-paths.js";
import { CANCELED_EXIT_CODE, TRAIN_WRAPPER, uploaderScript } from "../../src/backends/kubernetes/pod-scripts.js";
import { uploadedMetrics } from "../../src/backends/kubernetes/uploaded-events.js";

const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
const started: ChildProcess[] = [];
let s3: S3TestServer | undefined;

afterEach(() => {
  for (const p of started.splice(0)) {
    try {
      if (p.exitCode === null && p.pid) process.kill(-p.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});
afterAll(async () => {
  await s3?.stop();
});

interface Pod {
  readonly dir: string;
  /** The pod's /aves2/run, here. */
  readonly run: string;
  readonly env: NodeJS.ProcessEnv;
  local(script: string): string;
  /** What the stand-in `component` was called with, one line per call. */
  calls(): string[];
}

/** A pod's folders in a temp dir; `component` is a stand-in that records its arguments (or the real storage CLI). */
function pod(opts: { realComponent?: Record<string, string> } = {}): Pod {
  const dir = mkdtempSync(join(tmpdir(), "aves2-pod-"));
  const run = join(dir, "run");
  mkdirSync(join(dir, "bin"), { recursive: true });
  mkdirSync(run, { recursive: true });
  const cli = `${process.execPath} ${join(REPO, "packages", "storage", "dist", "bin.js")}`;
  writeFileSync(join(dir, "bin", "component"), opts.realComponent ? `#!/bin/sh\necho "$@" >> ${dir}/calls\nexec ${cli} "$@"\n` : `#!/bin/sh\necho "$@" >> ${dir}/calls\n`, { mode: 0o755 });
  return {
    dir,
    run,
    // not the developer's settings (AWS_*, HOME): the pod's own
    env: { ...isolatedEnv(), HOME: dir, ...(opts.realComponent ?? {}), PATH: `${join(dir, "bin")}:${process.env.PATH}` },
    local: (s) => s.split(PATHS.run).join(run),
    calls: () => (existsSync(join(dir, "calls")) ? readFileSync(join(dir, "calls"), "utf8").trim().split("\n") : []),
  };
}

interface Running {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

/** Starts a script as a container's main process: sh -c, in a process group of its own. */
function start(p: Pod, script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Running {
  const child = spawn("sh", ["-c", p.local(script), "aves2", ...args], { env: { ...p.env, ...env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  started.push(child);
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => out, exited };
}

const exitCode = (p: Pod) => readFileSync(join(p.run, "exit-code"), "utf8").trim();

/** Whether a process has its handler for SIGTERM in place (/proc/<pid>/status, SigCgt): a signal before that would just end a shell. */
function catchesTerm(r: Running): boolean {
  const status = readFileSync(`/proc/${r.child.pid}/status`, "utf8");
  const mask = BigInt(`0x${/^SigCgt:\s*([0-9a-f]+)/m.exec(status)?.[1] ?? "0"}`);
  return (mask & (1n << 14n)) !== 0n;
}

describe("the training container's init forwards the stop signal", () => {
  it("a python process that handles SIGTERM gets it, ends its own way, and the exit code says the run was stopped", async () => {
    const p = pod();
    const mark = join(p.dir, "checkpoint");
    const code = [
      "import os, signal, sys, time",
      "def stop(sig, frame):",
      "    print('got SIGTERM: saving a checkpoint', flush=True)",
      `    open(${JSON.stringify(mark)}, 'w').write('saved')`,
      "    sys.exit(0)",
      "signal.signal(signal.SIGTERM, stop)",
      "print('AVES2_EVENT {\"type\":\"metric\",\"epoch\":1,\"loss\":0.5}', flush=True)",
      "print('ready', flush=True)",
      "while True: time.sleep(0.05)",
    ].join("\n");
    const w = start(p, TRAIN_WRAPPER, [PYTHON, "-c", code]);
    await waitFor(() => w.output().includes("ready"));
    process.kill(w.child.pid!, "SIGTERM");
    expect(await w.exited).toBe(CANCELED_EXIT_CODE);
    expect(w.output()).toContain("got SIGTERM: saving a checkpoint");
    expect(readFileSync(mark, "utf8")).toBe("saved");
    // however the process ended, a stopped run is no success: the uploader will write no completion marker
    expect(exitCode(p)).toBe("143");
    const log = readFileSync(join(p.run, "logs", "train.log"), "utf8");
    expect(log).toContain("ready\n");
    expect(log).toContain("got SIGTERM: saving a checkpoint\n");
  });

  it("a python process without a handler ends on the forwarded SIGTERM (as PID 1 it would have ignored it)", async () => {
    const p = pod();
    const w = start(p, TRAIN_WRAPPER, [PYTHON, "-c", "import time\nprint('ready', flush=True)\nwhile True: time.sleep(0.05)"]);
    await waitFor(() => w.output().includes("ready"));
    process.kill(w.child.pid!, "SIGTERM");
    expect(await w.exited).toBe(143);
    expect(exitCode(p)).toBe("143");
  });

  it("a shell that ignores SIGTERM, and the process it started, are killed after AVES2_STOP_SECONDS", async () => {
    const p = pod();
    const script = `trap '' TERM; sleep 1000 & echo $! > ${p.dir}/grandchild; echo $$ > ${p.dir}/child; echo ready; wait`;
    const w = start(p, TRAIN_WRAPPER, ["sh", "-c", script], { AVES2_STOP_SECONDS: "1" });
    await waitFor(() => w.output().includes("ready"));
    const child = Number(readFileSync(join(p.dir, "child"), "utf8"));
    const grandchild = Number(readFileSync(join(p.dir, "grandchild"), "utf8"));
    process.kill(w.child.pid!, "SIGTERM");
    expect(await w.exited).toBe(143);
    expect(w.output()).toContain("aves2: stopping the training process (SIGTERM; killed in 1s if it goes on)");
    expect(exitCode(p)).toBe("143");
    await waitFor(() => !alive(child) && !alive(grandchild));
  });

  it("without a stop signal the command's own exit code is kept, and INT is forwarded as a stop too", async () => {
    const p = pod();
    const done = start(p, TRAIN_WRAPPER, ["sh", "-c", "echo out; echo err >&2; exit 7"]);
    expect(await done.exited).toBe(7);
    expect(exitCode(p)).toBe("7");
    expect(readFileSync(join(p.run, "logs", "train.log"), "utf8")).toBe("out\nerr\n");

    const q = pod();
    const w = start(q, TRAIN_WRAPPER, [PYTHON, "-c", "import time\nprint('ready', flush=True)\nwhile True: time.sleep(0.05)"]);
    await waitFor(() => w.output().includes("ready"));
    process.kill(w.child.pid!, "SIGINT");
    expect(await w.exited).toBe(143);
  });
});

describe("the uploader saves what a canceled run wrote", () => {
  const event = (o: Record<string, unknown>) => `AVES2_EVENT ${JSON.stringify(o)}`;

  it("both containers stopped at once: the uploader waits for the init's exit code, then uploads the logs and outputs, without the marker", async () => {
    const p = pod();
    const logs = p.local(`${PATHS.run}/logs`);
    const code = [
      "import signal, sys, time",
      "signal.signal(signal.SIGTERM, lambda s, f: (time.sleep(0.5), print('stopped', flush=True), sys.exit(0)))",
      `print(${JSON.stringify(event({ type: "metric", epoch: 1, loss: 0.9 }))}, flush=True)`,
      `print(${JSON.stringify(event({ type: "metric", epoch: 2, loss: 0.5 }))}, flush=True)`,
      "print('ready', flush=True)",
      "while True: time.sleep(0.05)",
    ].join("\n");
    const train = start(p, TRAIN_WRAPPER, [PYTHON, "-c", code]);
    const upload = start(p, uploaderScript(undefined), [logs, "s3://b/logs/r1/", "/aves2/output/a", "s3://b/a/"]);
    await waitFor(() => train.output().includes("ready") && catchesTerm(upload));
    process.kill(train.child.pid!, "SIGTERM");
    process.kill(upload.child.pid!, "SIGTERM");
    expect(await train.exited).toBe(143);
    expect(await upload.exited).toBe(0);
    expect(upload.output()).toContain("stage-out: the run is stopping: uploading what it wrote");
    expect(p.calls()).toEqual([`storage sync ${logs} s3://b/logs/r1/`, "storage sync /aves2/output/a s3://b/a/"]);
    expect(readFileSync(join(logs, "events.jsonl"), "utf8")).toBe(`${JSON.stringify({ type: "metric", epoch: 1, loss: 0.9 })}\n${JSON.stringify({ type: "metric", epoch: 2, loss: 0.5 })}\n`);
  });

  it("stopped while the training container left no exit code: it uploads after its wait", async () => {
    const p = pod();
    const upload = start(p, uploaderScript(undefined), ["/aves2/output/a", "s3://b/a/"], { AVES2_STOP_SECONDS: "0" });
    await waitFor(() => catchesTerm(upload));
    process.kill(upload.child.pid!, "SIGTERM");
    expect(await upload.exited).toBe(0);
    expect(upload.output()).toContain("stage-out: stopping, and the training container left no exit code: uploading what it wrote");
    expect(p.calls()).toEqual(["storage sync /aves2/output/a s3://b/a/"]);
  });

  it("while training runs, events.jsonl is uploaded every AVES2_EVENTS_UPLOAD_SECONDS; at the end everything, with the marker after success", async () => {
    const p = pod();
    const logs = p.local(`${PATHS.run}/logs`);
    mkdirSync(logs, { recursive: true });
    writeFileSync(join(logs, "train.log"), `epoch 1\n${event({ type: "metric", epoch: 1, acc: 0.5 })}\n`);
    const upload = start(p, uploaderScript(undefined), [logs, "s3://b/logs/r2", "/aves2/output/a", "s3://b/a/"], { AVES2_EVENTS_UPLOAD_SECONDS: "2" });
    // the URI gets its trailing slash: the file goes into the folder, not over it
    await waitFor(() => p.calls().includes(`storage sync ${logs}/events.jsonl s3://b/logs/r2/`));
    expect(readFileSync(join(logs, "events.jsonl"), "utf8")).toBe(`${JSON.stringify({ type: "metric", epoch: 1, acc: 0.5 })}\n`);
    writeFileSync(join(p.run, "exit-code"), "0\n");
    expect(await upload.exited).toBe(0);
    expect(p.calls().slice(-2)).toEqual([`storage sync --marker ${logs} s3://b/logs/r2`, "storage sync --marker /aves2/output/a s3://b/a/"]);
  });

  it("with the real storage engine against the S3 test server: a canceled run's outputs and events reach the bucket, and status can read the metrics back", async () => {
    s3 = await startS3Server({ buckets: ["k8s"] });
    const p = pod({ realComponent: { ...s3.env(), AVES2_S3_PATH_STYLE: "true" } });
    const logs = p.local(`${PATHS.run}/logs`);
    const out = join(p.dir, "output", "result_dir");
    const code = [
      "import os, signal, sys, time",
      "signal.signal(signal.SIGTERM, lambda s, f: sys.exit(0))",
      `os.makedirs(${JSON.stringify(out)}, exist_ok=True)`,
      `open(os.path.join(${JSON.stringify(out)}, 'model-epoch-1.txt'), 'w').write('weights')`,
      `print(${JSON.stringify(event({ type: "metric", epoch: 1, epochs: 3, loss: 0.7 }))}, flush=True)`,
      "print('ready', flush=True)",
      "while True: time.sleep(0.05)",
    ].join("\n");
    const before = Date.now();
    const train = start(p, TRAIN_WRAPPER, [PYTHON, "-c", code]);
    const upload = start(p, uploaderScript(undefined), [logs, "s3://k8s/logs/run-1/", out, "s3://k8s/out/"]);
    await waitFor(() => train.output().includes("ready") && catchesTerm(upload));
    process.kill(train.child.pid!, "SIGTERM");
    process.kill(upload.child.pid!, "SIGTERM");
    expect(await train.exited).toBe(143);
    expect(await upload.exited, upload.output()).toBe(0);
    const keys = ((await s3.client().send(new ListObjectsV2Command({ Bucket: "k8s" }))).Contents ?? []).map((o) => o.Key).sort();
    expect(keys).toEqual(["logs/run-1/events.jsonl", "logs/run-1/train.log", "out/model-epoch-1.txt"]);
    expect(upload.output()).not.toContain("S3RVER");
    const metrics = await uploadedMetrics("s3://k8s/logs/run-1/events.jsonl", { endpoint: s3.endpoint, region: "us-east-1", pathStyle: true }, { ...s3.env(), HOME: p.dir }, before);
    expect(metrics).toEqual({ epochs: [{ epoch: 1, epochs: 3, loss: 0.7 }] });
    // an earlier attempt's file is not this attempt's
    expect(await uploadedMetrics("s3://k8s/logs/run-1/events.jsonl", { endpoint: s3.endpoint, region: "us-east-1", pathStyle: true }, { ...s3.env(), HOME: p.dir }, Date.now() + 5_000)).toBeUndefined();
  });
});
