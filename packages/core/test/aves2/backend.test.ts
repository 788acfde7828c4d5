import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Aves2TestServer, startAves2TestServer, tempDir } from "@aves2/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { Aves2Backend, newLines, REDACTED } from "../../src/backends/aves2/index.js";
import type { Aves2Settings } from "../../src/backends/aves2/settings.js";
import { stateOf } from "../../src/backends/aves2/status-map.js";
import type { LogLine } from "../../src/backends/backend.js";
import type { RunRecord } from "../../src/records/record.js";
import type { RunEvent } from "../../src/run/events.js";
import { readFixture, specOf } from "./helpers.js";

const SECRET = "s3-secret-value";
const s3 = { S3Endpoint: "http://s3.example:9000", S3AccessKeyId: "AKID", S3SecretAccessKey: SECRET };

let server: Aves2TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function backendFor(srv: Aves2TestServer | { url: string; token: string }, over: Partial<Aves2Settings> = {}) {
  const runsDir = tempDir("aves2-runs-");
  const settings: Aves2Settings = {
    cfgFile: "/home/u/.aves2/aves2.cfg",
    host: { value: srv.url, source: "test" },
    token: { value: srv.token, source: "test" },
    namespace: { value: "team-ns", source: "test" },
    s3,
    ...over,
  };
  return { backend: new Aves2Backend({ runsDir, settings, pollMs: 20 }), runsDir };
}

const seedSpec = () => specOf(readFixture("seed-job.yaml"), "seed-job.yaml").spec;
const record = (runsDir: string, runId: string) => JSON.parse(readFileSync(join(runsDir, runId, "run.json"), "utf8")) as RunRecord;

describe("AVES2 plan", () => {
  it("is pure and printable: the job file and the payload-to-be, the S3 secret redacted", () => {
    const { backend } = backendFor({ url: "http://aves2.example/aves2", token: "tok" });
    const spec = seedSpec();
    const plan = backend.plan(spec);
    expect(plan).toEqual(backend.plan(spec));
    expect(Object.isFrozen(plan.payload.resource_spec)).toBe(true);
    expect(plan.endpoint).toBe("http://aves2.example/aves2/api/aves_job/");
    expect(plan.payload.namespace).toBe("team-ns");
    expect(plan.payload.storage_config.config).toEqual({ ...s3, S3SecretAccessKey: REDACTED });
    expect(JSON.stringify(plan)).not.toContain(SECRET);
    expect(JSON.stringify(plan)).not.toContain('"tok"');
  });
});

describe("AVES2 submit and follow, against the AVES2 test server", () => {
  it("checks the client, posts the exact payload with the token, records the run without secrets", async () => {
    server = await startAves2TestServer();
    const { backend, runsDir } = backendFor(server);
    const spec = seedSpec();
    const plan = backend.plan(spec);
    const handle = await backend.submit(plan, spec, { detach: true });
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["GET client_check", "POST aves_job/"]);
    expect(server.requests[0]!.query).toEqual({ version: "1.0" });
    expect(server.requests.every((r) => r.authorization === `Token ${server!.token}`)).toBe(true);
    const posted = server.requests[1]!;
    expect(posted.contentType).toBe("application/json");
    expect(posted.body).toEqual({ ...plan.payload, storage_config: { mode: "OSSFile", config: s3 } });
    const r = await handle.wait();
    expect(r).toMatchObject({ runId: spec.runId, backend: "aves2", state: "pending", details: { jobId: 1, host: server.url, namespace: "team-ns", status: "NEW" } });
    const onDisk = readFileSync(join(runsDir, spec.runId, "run.json"), "utf8");
    expect(onDisk).not.toContain(SECRET);
    expect(onDisk).not.toContain(server.token);
  });

  it("follows the job: each log line once, events as metrics, states mapped, ends with the job", async () => {
    server = await startAves2TestServer({
      logTail: 3,
      script: [
        { status: "STARTING" },
        { status: "PENDING" },
        { status: "RUNNING", log: ["loading data", "epoch 1 start"] },
        { status: "RUNNING", log: ['AVES2_EVENT {"type":"metric","epoch":1,"epochs":2,"loss":0.9}', "epoch 2 start", "epoch 2 end"] },
        { status: "RUNNING", log: ['AVES2_EVENT {"type":"summary","metrics":{"top1":0.8}}'] },
        { status: "FINISHED", log: ["bye"] },
      ],
    });
    const { backend, runsDir } = backendFor(server);
    const spec = seedSpec();
    const lines: LogLine[] = [];
    const events: RunEvent[] = [];
    const handle = await backend.submit(backend.plan(spec), spec, { onLog: (l) => lines.push(l), onEvent: (e) => events.push(e) });
    const r = await handle.wait();
    expect(r.state).toBe("succeeded");
    expect(r.details.status).toBe("FINISHED");
    expect(lines.map((l) => l.text)).toEqual(["loading data", "epoch 1 start", "epoch 2 start", "epoch 2 end", "bye"]);
    expect(events.map((e) => e.type)).toEqual(["metric", "summary"]);
    expect(r.metrics).toEqual({ epochs: [{ epoch: 1, epochs: 2, loss: 0.9 }], summary: { top1: 0.8 } });
    expect(r.startedAt).toBeDefined();
    expect(r.endedAt).toBeDefined();
    expect(record(runsDir, spec.runId).state).toBe("succeeded");
  });

  it("says why a job failed", async () => {
    server = await startAves2TestServer({ script: [{ status: "RUNNING", log: ["Traceback ..."] }, { status: "FAILURE", msg: "worker-0 exited with code 1" }] });
    const { backend } = backendFor(server);
    const spec = seedSpec();
    const r = await (await backend.submit(backend.plan(spec), spec, {})).wait();
    expect(r).toMatchObject({ state: "failed", reason: "worker-0 exited with code 1" });
  });

  it("maps every AVES2 status to ours", () => {
    expect(["NEW", "STARTING", "PENDING", "RUNNING", "FINISHED", "FAILURE", "CANCELED", "SOMETHING_NEW"].map(stateOf)).toEqual([
      "pending", "pending", "pending", "running", "succeeded", "failed", "canceled", "pending",
    ]);
  });

  it("prints only new lines from a sliding log window", () => {
    expect(newLines([], ["a", "b"])).toEqual(["a", "b"]);
    expect(newLines(["a", "b"], ["a", "b", "c"])).toEqual(["c"]);
    expect(newLines(["a", "b", "c"], ["b", "c", "d", "e"])).toEqual(["d", "e"]);
    expect(newLines(["x", "x"], ["x", "x", "x"])).toEqual(["x"]);
    expect(newLines(["a", "b"], ["a", "b"])).toEqual([]);
    expect(newLines(["a", "b"], ["q", "r"])).toEqual(["q", "r"]);
  });
});

describe("status, logs, cancel, delete, rerun, list", () => {
  it("works by our run id and by the server's job id", async () => {
    server = await startAves2TestServer();
    const { backend, runsDir } = backendFor(server);
    const spec = seedSpec();
    await backend.submit(backend.plan(spec), spec, { detach: true });

    server.setStatus(1, "RUNNING");
    server.appendLog(1, "step 1", 'AVES2_EVENT {"type":"progress","epoch":1,"epochs":1}', "step 2");
    expect((await backend.status(spec.runId)).state).toBe("running");
    expect((await backend.status("1")).runId).toBe(spec.runId);
    const printed: string[] = [];
    await backend.logs(spec.runId, { follow: false, onLog: (l) => printed.push(l.text) });
    expect(printed).toEqual(["step 1", "step 2"]);

    const canceled = await backend.cancel(spec.runId);
    expect(canceled).toMatchObject({ state: "canceled", reason: "canceled by the user" });
    expect(server.requests.at(-2)!.path).toBe("aves_job/1/cancel_job/");
    expect(record(runsDir, spec.runId).state).toBe("canceled");

    const restarted = await backend.rerun(spec.runId);
    expect(restarted).toMatchObject({ runId: spec.runId, state: "pending", details: { status: "STARTING", restarts: 1 } });
    expect(restarted.reason).toBeUndefined();
    expect(server.requests.some((r) => r.path === "aves_job/1/start_job/")).toBe(true);

    server.addJob({ job_name: "someone else's", status: "FINISHED", create_time: "2020-01-01T00:00:00Z" });
    const listed = await backend.list();
    expect(listed.map((r) => [r.runId, r.state])).toEqual([
      [spec.runId, "pending"],
      ["2", "succeeded"],
    ]);
    expect((await backend.status("2")).component.name).toBe("someone else's");

    server.setStatus(1, "FINISHED");
    const deleted = await backend.delete(spec.runId);
    expect(deleted.runId).toBe(spec.runId);
    expect(server.requests.at(-1)).toMatchObject({ method: "DELETE", path: "aves_job/1/" });
    expect(existsSync(join(runsDir, spec.runId))).toBe(false);
    expect(server.jobs.has(1)).toBe(false);
  });

  it("follows logs of a running job until it ends", async () => {
    server = await startAves2TestServer();
    const { backend } = backendFor(server);
    const spec = seedSpec();
    await backend.submit(backend.plan(spec), spec, { detach: true });
    server.setStatus(1, "RUNNING");
    server.appendLog(1, "one");
    server.jobs.get(1)!.script = [{ status: "RUNNING", log: ["two"] }, { status: "RUNNING", log: ["three"] }, { status: "FINISHED", log: ["four"] }];
    const printed: string[] = [];
    await backend.logs(spec.runId, { follow: true, onLog: (l) => printed.push(l.text) });
    expect(printed).toEqual(["one", "two", "three", "four"]);
  });

  it("a job deleted elsewhere: delete removes the record and says so", async () => {
    server = await startAves2TestServer();
    const { backend, runsDir } = backendFor(server);
    const spec = seedSpec();
    await backend.submit(backend.plan(spec), spec, { detach: true });
    server.jobs.delete(1);
    await expect(backend.status(spec.runId)).rejects.toThrow(`AVES2 job 1 was not found on ${server.url}`);
    expect((await backend.delete(spec.runId)).details.alreadyGone).toBe(true);
    expect(readdirSync(runsDir)).toEqual([]);
  });

  it("a restart the server refuses says why", async () => {
    server = await startAves2TestServer();
    const { backend } = backendFor(server);
    const spec = seedSpec();
    await backend.submit(backend.plan(spec), spec, { detach: true });
    server.setStatus(1, "FAILURE");
    server.failNext(/start_job/, { status: 500, body: JSON.stringify({ detail: "no quota left" }) });
    await expect(backend.rerun(spec.runId)).rejects.toThrow("the AVES2 server failed the restart of job 1 (HTTP 500): no quota left");
  });

  it("refuses to restart or delete a job that has not ended, before asking the server to", async () => {
    server = await startAves2TestServer();
    const { backend, runsDir } = backendFor(server);
    const spec = seedSpec();
    await backend.submit(backend.plan(spec), spec, { detach: true });
    server.setStatus(1, "RUNNING");
    const message = `AVES2 job 1 is running (RUNNING) (cancel it first: component cancel ${spec.runId})`;
    await expect(backend.rerun(spec.runId)).rejects.toThrow(`cannot restart ${spec.runId}: ${message}`);
    await expect(backend.delete(spec.runId)).rejects.toThrow(`cannot delete ${spec.runId}: ${message}`);
    expect(server.mutations()).toEqual([expect.objectContaining({ method: "POST" })]);
    expect(server.jobs.has(1)).toBe(true);
    expect(readdirSync(runsDir)).toEqual([spec.runId]);
  });
});

describe("errors: one clear message, nothing half-submitted", () => {
  const attempt = async (srv: Aves2TestServer | { url: string; token: string }, over: Partial<Aves2Settings> = {}) => {
    const { backend, runsDir } = backendFor(srv, over);
    const spec = seedSpec();
    const message = await backend.submit(backend.plan(spec), spec, { detach: true }).then(
      () => "submitted",
      (e: Error) => e.message,
    );
    return { message, runs: readdirSync(runsDir) };
  };
  const posts = () => server!.requests.filter((r) => r.method === "POST").length;

  it("server unreachable", async () => {
    const closed = await startAves2TestServer();
    const url = closed.url;
    await closed.close();
    const r = await attempt({ url, token: "t" });
    expect(r.message).toMatch(new RegExp(`^cannot reach the AVES2 server at ${url.replace(/[./]/g, "\\$&")} \\(ECONNREFUSED\\) \\(check the host \\(from test\\)`));
    expect(r.runs).toEqual([]);
  });

  it("401: the token is wrong", async () => {
    server = await startAves2TestServer();
    const r = await attempt(server, { token: { value: "wrong-token", source: "AVES2_TOKEN" } });
    expect(r.message).toBe(
      `the AVES2 server at ${server.url} refused the API token (HTTP 401): it is wrong or expired (check api_token (from AVES2_TOKEN); get a token at ${server.url}center/token/ (server said: Invalid token.))`,
    );
    expect(r.message).not.toContain("wrong-token");
    expect(posts()).toBe(0);
    expect(r.runs).toEqual([]);
  });

  it("403: the token lacks rights", async () => {
    server = await startAves2TestServer({ readOnlyToken: "reader" });
    const r = await attempt(server, { token: { value: "reader", source: "test" } });
    expect(r.message).toMatch(/refused POST aves_job\/ \(HTTP 403\): the API token lacks the rights for it/);
    expect(server.jobs.size).toBe(0);
    expect(r.runs).toEqual([]);
  });

  it("400 with the server's detail", async () => {
    server = await startAves2TestServer();
    server.failNext(/^POST aves_job\/$/, { status: 400, body: JSON.stringify({ resource_spec: ["gpu quota exceeded: 1 > 0"], image: ["not allowed"] }) });
    const r = await attempt(server);
    expect(r.message).toBe("the AVES2 server rejected POST aves_job/ (HTTP 400): resource_spec: gpu quota exceeded: 1 > 0; image: not allowed");
    expect(r.runs).toEqual([]);
  });

  it("a malformed JSON reply", async () => {
    server = await startAves2TestServer();
    server.failNext(/^POST aves_job\/$/, { status: 201, body: "<html>proxy error</html>", contentType: "text/html" });
    const r = await attempt(server);
    expect(r.message).toMatch(/^the AVES2 server's reply to POST aves_job\/ is not JSON: <html>proxy error<\/html> \(is http:\/\/127\.0\.0\.1:\d+\/aves2\/ an AVES2 server\? The job may have been created/);
    expect(r.runs).toEqual([]);
  });

  it("a client version the server refuses", async () => {
    server = await startAves2TestServer({ acceptClient: false });
    const r = await attempt(server);
    expect(r.message).toMatch(/does not accept client version 1\.0/);
    expect(posts()).toBe(0);
  });

  it("an older server without client_check is fine", async () => {
    server = await startAves2TestServer({ acceptClient: "missing" });
    expect((await attempt(server)).message).toBe("submitted");
  });

  it("no server, no token, no S3 credentials for s3:// data: all said before anything is sent", async () => {
    server = await startAves2TestServer();
    const r = await attempt(server, { host: undefined, token: undefined });
    expect(r.message.split("\n")).toEqual([
      "no AVES2 server is configured (set host under [Aves2Server] in /home/u/.aves2/aves2.cfg, AVES2_HOST, or --aves2-host)",
      "no AVES2 API token is configured (set api_token under [Aves2Server] in /home/u/.aves2/aves2.cfg, or AVES2_TOKEN)",
    ]);
    const noS3 = await attempt(server, { s3: null });
    expect(noS3.message).toMatch(/^the job uses s3:\/\/ storage but no S3 credentials are configured for AVES2/);
    expect(server.requests).toEqual([]);
  });

  it("a job id the server does not know", async () => {
    server = await startAves2TestServer();
    const { backend } = backendFor(server);
    const notFound = `AVES2 job 99 was not found on ${server.url} (\`component runs --backend aves2\` lists the jobs the token can see)`;
    await expect(backend.status("99")).rejects.toThrow(notFound);
    await expect(backend.cancel("99")).rejects.toThrow(notFound);
    await expect(backend.rerun("99")).rejects.toThrow(notFound);
    await expect(backend.status("no-such-run")).rejects.toThrow('no AVES2 run "no-such-run"');
    expect(server.mutations()).toEqual([]);
  });
});
