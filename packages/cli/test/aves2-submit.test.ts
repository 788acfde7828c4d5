import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Aves2TestServer, REPO, runCli as runInRepo, startAves2TestServer } from "@aves2/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { runCli, tempDir } from "./cli.js";

const JOBS = join(REPO, "packages/core/test/aves2/fixtures");
const TOKEN_SECRET = "tok-0123456789abcdef";
const S3_SECRET = "s3-secret-9876";

let server: Aves2TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** An AVES2 test server, a client config pointing at it, and an empty runs folder. */
async function setup(opts: Parameters<typeof startAves2TestServer>[0] = {}, host?: string) {
  server = await startAves2TestServer({ token: TOKEN_SECRET, ...opts });
  const dir = tempDir("aves2-cli-");
  const cfg = join(dir, "aves2.cfg");
  writeFileSync(
    cfg,
    `[Aves2Server]\n    host = '${host ?? server.url}'\n    api_token = '${TOKEN_SECRET}'\n[UserInfo]\n    username = 'ada'\n    namespace = 'ada-team'\n[StorageConf]\n    [[S3]]\n        S3Endpoint = 'http://s3.example:9000'\n        S3AccessKeyId = 'AKID'\n        S3SecretAccessKey = '${S3_SECRET}'\n`,
  );
  const runs = join(dir, "runs");
  return { runs, env: { AVES2_CLIENT_CONFIG: cfg, AVES2_RUNS_DIR: runs, AVES2_POLL_INTERVAL_MS: "50" } };
}

const STORAGE = { mode: "OSSFile", config: { S3Endpoint: "http://s3.example:9000", S3AccessKeyId: "AKID", S3SecretAccessKey: S3_SECRET } };
const posted = () => server!.requests.filter((r) => r.method === "POST").map((r) => r.body as Record<string, unknown>);
const records = (runs: string) => (existsSync(runs) ? readdirSync(runs) : []);
const noSecrets = (...texts: string[]) => {
  for (const t of texts) {
    expect(t).not.toContain(TOKEN_SECRET);
    expect(t).not.toContain(S3_SECRET);
  }
};

describe("run --backend aves2: the exact payloads, against the AVES2 test server", () => {
  it("a single worker with OSSFile data (mobilenet-v2 from flags)", async () => {
    const { runs, env } = await setup();
    const r = await runInRepo(
      [
        "run", "mobilenet-v2", "--backend", "aves2", "--detach", "--code", "s3://team-bucket/code/mobilenet-v2/",
        "--set", "epochs=3", "--set", "lr=0.01", "-r", "worker.gpu=1",
        "--input", "train_data_dir=s3://team-bucket/digits/train/", "--input", "validation_data_dir=",
        "--output", "result_dir=s3://team-bucket/out/result/", "--output", "checkpoint_dir=s3://team-bucket/out/ckpt/",
      ],
      { env },
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const runId = r.stdout.trim();
    expect(runId).toMatch(/^mobilenet-v2-\d{8}-\d{6}-[a-z0-9]{4}$/);
    expect(server!.requests.map((q) => `${q.method} ${q.path}`)).toEqual(["GET client_check", "POST aves_job/"]);
    expect(server!.requests.every((q) => q.authorization === `Token ${TOKEN_SECRET}`)).toBe(true);
    expect(posted()).toEqual([
      {
        need_report: false,
        name: "MobileNetV2 image classification",
        debug: false,
        namespace: "ada-team",
        image: "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime",
        package_uri: "deprecated",
        engine: "deprecated",
        storage_mode: "OSSFile",
        storage_config: STORAGE,
        is_distribute: false,
        distribute_type: null,
        resource_spec: { worker: { count: 1, cpu: 4, mem: "8Gi", gpu: 1, entry_point: "python3 model_train_new.py", args: [{ epochs: 3 }, { lr: 0.01 }] } },
        envs: {},
        code_spec: { type: "OSSFile", path: "s3://team-bucket/code/mobilenet-v2/", filename: "" },
        input_spec: { train_data_dir: { type: "OSSFile", path: "s3://team-bucket/digits/train/", filename: "" } },
        output_spec: {
          result_dir: { type: "OSSFile", path: "s3://team-bucket/out/result/", filename: "" },
          checkpoint_dir: { type: "OSSFile", path: "s3://team-bucket/out/ckpt/", filename: "" },
        },
        log_dir: {},
      },
    ]);
    const record = readFileSync(join(runs, runId, "run.json"), "utf8");
    expect(JSON.parse(record)).toMatchObject({ runId, backend: "aves2", state: "pending", details: { jobId: 1, host: server!.url, status: "NEW" } });
    expect(JSON.parse(record).plan.payload.storage_config.config.S3SecretAccessKey).toBe("***");
    noSecrets(r.stdout, r.stderr, record);
  });

  it("the seed's job file as it is", async () => {
    const { runs, env } = await setup();
    const r = await runInRepo(["run", "-f", join(JOBS, "seed-job.yaml"), "--backend", "aves2", "--detach"], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^mobilenet-v2-\d{8}-\d{6}-[a-z0-9]{4}\n$/);
    const seedData = "s3://aves2/opensource/datasets/classification/pettfrecord";
    expect(posted()).toEqual([
      {
        need_report: false,
        name: "mobilenet-v2 image classification",
        debug: true,
        namespace: "ada-team",
        image: "ai-image.jd.com/jupyter/tensorflow:1.12-nb5.7-ubuntu16.04-py3.6",
        package_uri: "deprecated",
        engine: "deprecated",
        storage_mode: "OSSFile",
        storage_config: STORAGE,
        is_distribute: false,
        distribute_type: null,
        resource_spec: {
          worker: {
            count: 1, cpu: 4, mem: "2Gi", gpu: 1, entry_point: "python3 model_train_new.py",
            args: [{ model_name: "mobilenet_v2_14" }, { num_class: 37 }, { batch_size: 4 }, { epochs: 1 }],
          },
        },
        envs: {},
        code_spec: { type: "OSSFile", path: "s3://aves2/opensource/components/mobilenet-v2-14/", filename: "" },
        input_spec: {
          train_data_dir: { type: "OSSFile", path: `${seedData}/train/`, filename: "" },
          validation_data_dir: { type: "OSSFile", path: `${seedData}/test/`, filename: "" },
          pre_trained_model_ckpt_path: { type: "OSSFile", path: "s3://aves2/opensource/pretrainedmodels/image_classification/", filename: "" },
        },
        output_spec: {
          result_dir: { type: "OSSFile", path: "s3://aves2/opensource/test/mobilenet-v2/out/", filename: "" },
          checkpoint_dir: { type: "OSSFile", path: "s3://aves2/opensource/test/mobilenet-v2/checkpoint/", filename: "" },
        },
        log_dir: {},
      },
    ]);
    // the args in the seed's order, as the client sends them (JSON object order is not enough to compare)
    expect(Object.keys(server!.requests.find((q) => q.method === "POST")!.body as object)).toEqual([
      "need_report", "name", "debug", "namespace", "image", "package_uri", "engine", "storage_mode", "storage_config",
      "is_distribute", "distribute_type", "resource_spec", "envs", "code_spec", "input_spec", "output_spec", "log_dir",
    ]);
    noSecrets(r.stdout, r.stderr, ...records(runs).map((id) => readFileSync(join(runs, id, "run.json"), "utf8")));
  });

  it("the seed's job file with an archive as its source", async () => {
    const { env } = await setup();
    const r = await runInRepo(["run", "-f", join(JOBS, "seed-job.yaml"), "--backend", "aves2", "--detach", "--code", "s3://aves2/opensource/components/mobilenet-v2-14.tar.gz"], { env });
    expect(r.code, r.stderr).toBe(0);
    const [p] = posted();
    expect(p!.code_spec).toEqual({ type: "OSSFile", path: "s3://aves2/opensource/components/", filename: "mobilenet-v2-14.tar.gz" });
    expect(p).toMatchObject({ name: "mobilenet-v2 image classification", debug: true, namespace: "ada-team", image: "ai-image.jd.com/jupyter/tensorflow:1.12-nb5.7-ubuntu16.04-py3.6" });
    expect((p!.resource_spec as Record<string, unknown>).worker).toEqual({
      count: 1, cpu: 4, mem: "2Gi", gpu: 1, entry_point: "python3 model_train_new.py",
      args: [{ model_name: "mobilenet_v2_14" }, { num_class: 37 }, { batch_size: 4 }, { epochs: 1 }],
    });
  });

  it("TF_PS: ps and worker roles, envs, an archive input, log_dir", async () => {
    const { env } = await setup();
    const r = await runCli(["run", "-f", join(JOBS, "tf-ps-job.yaml"), "--backend", "aves2", "--detach"], { env });
    expect(r.code, r.stderr).toBe(0);
    const [p] = posted();
    expect(p).toMatchObject({ namespace: "team-a", is_distribute: true, distribute_type: "TF_PS", envs: { TF_CPP_MIN_LOG_LEVEL: "2" } });
    expect(p!.resource_spec).toEqual({
      ps: { count: 1, cpu: 2, mem: "4Gi", gpu: 0, entry_point: "python3 train.py", args: [{ steps: 5000 }, { opt: "sgd" }] },
      worker: { count: 3, cpu: 8, mem: "16Gi", gpu: 1, entry_point: "python3 train.py", args: [{ steps: 5000 }, { opt: "sgd" }] },
    });
    expect(p!.code_spec).toEqual({ type: "OSSFile", path: "s3://team-bucket/code/", filename: "dist-demo.tar.gz" });
    expect(p!.input_spec).toEqual({ data_dir: { type: "OSSFile", path: "s3://team-bucket/data/", filename: "train.zip" } });
    expect(p!.log_dir).toEqual({ type: "OSSFile", path: "s3://team-bucket/logs/run-1/", filename: "" });
  });

  it("HOROVOD with K8SPVC, HostPath and NFSPath data", async () => {
    const { env } = await setup();
    const r = await runCli(["run", "-f", join(JOBS, "horovod-job.yaml"), "--backend", "aves2", "--detach"], { env });
    expect(r.code, r.stderr).toBe(0);
    const [p] = posted();
    expect(p).toMatchObject({ name: "horovod on shared storage", debug: true, is_distribute: true, distribute_type: "HOROVOD", namespace: "ada-team" });
    expect(p!.resource_spec).toEqual({
      worker: { count: 4, cpu: 8, mem: "32Gi", gpu: 2, entry_point: "python3 hvd_train.py --fp16", args: [{ "batch-size": 64 }, { lr: 0.001 }, { warmup: true }, { tag: "007" }] },
    });
    expect(p!.code_spec).toEqual({ type: "K8SPVC", path: "projects/hvd/", filename: "", pvc: "code-claim" });
    expect(p!.input_spec).toEqual({
      "train-data": { type: "K8SPVC", path: "imagenet/train/", filename: "", pvc: "data-claim" },
      "val-data": { type: "HostPath", path: "/mnt/datasets/imagenet/val/", filename: "" },
      vocab: { type: "NFSPath", path: "nfs-1.example:/export/shared/vocab/", filename: "" },
    });
    expect(p!.output_spec).toEqual({ "output-dir": { type: "HostPath", path: "/mnt/results/hvd/", filename: "" } });
  });
});

describe("after submit: status, logs, cancel, rerun, delete, runs", () => {
  it("work by our run id and by the server's job id", async () => {
    const { runs, env } = await setup();
    const submit = await runCli(["run", "-f", join(JOBS, "tf-ps-job.yaml"), "--backend", "aves2", "--detach"], { env });
    const runId = submit.stdout.trim();

    server!.setStatus(1, "RUNNING");
    server!.appendLog(1, "step 1", "step 2");
    const status = await runCli(["status", runId], { env });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`${runId}  running`);
    expect(status.stdout).toContain(`AVES2 job: 1 (RUNNING) on ${server!.url}   namespace: team-a`);
    const statusJson = await runCli(["status", "1", "--json"], { env });
    expect(JSON.parse(statusJson.stdout)).toMatchObject({ runId, state: "running" });

    const logs = await runCli(["logs", runId], { env });
    expect(logs.stdout).toBe("step 1\nstep 2\n");
    const early = await runCli(["delete", runId], { env });
    expect(early.code).toBe(2);
    expect(early.stderr).toBe(`error: cannot delete ${runId}: AVES2 job 1 is running (RUNNING) (cancel it first: component cancel ${runId})\n`);
    expect(server!.mutations().map((q) => q.method)).toEqual(["POST"]);

    // -f prints only new lines, and ends when the job does
    server!.jobs.get(1)!.script = [{ status: "RUNNING", log: ["step 3"] }, { status: "RUNNING", log: ["step 4"] }, { status: "FINISHED", log: ["done"] }];
    const follow = await runCli(["logs", runId, "-f"], { env });
    expect(follow.code, follow.stderr).toBe(0);
    expect(follow.stdout).toBe("step 1\nstep 2\nstep 3\nstep 4\ndone\n");
    expect(JSON.parse(readFileSync(join(runs, runId, "run.json"), "utf8")).state).toBe("succeeded");

    const rerun = await runCli(["rerun", runId], { env });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toBe(`${runId}: pending (AVES2 job 1 restarted)   logs: component logs ${runId} -f\n`);
    expect(server!.requests.filter((q) => q.path === "aves_job/1/start_job/")).toHaveLength(1);

    server!.setStatus(1, "RUNNING");
    const cancel = await runCli(["cancel", runId], { env });
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stdout).toBe(`${runId}: canceled\n`);
    expect(server!.jobs.get(1)!.status).toBe("CANCELED");

    server!.addJob({ job_name: "from the web console", status: "RUNNING", create_time: "2020-01-01T00:00:00Z" });
    const list = await runCli(["runs", "--backend", "aves2"], { env });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${runId}\\s+tf-ps-demo@0\\.0\\.0\\s+canceled\\s.*aves2 #1$`, "m"));
    expect(list.stdout).toMatch(/^2\s+from the web console\s+running\s.*aves2 #2$/m);
    const listed = await runCli(["runs", "--backend", "aves2", "--json"], { env });
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).map((x: { runId: string; state: string; details: { jobId: number; status: string } }) => [x.runId, x.state, x.details.jobId, x.details.status])).toEqual([
      [runId, "canceled", 1, "CANCELED"],
      ["2", "running", 2, "RUNNING"],
    ]);
    const offline = await runCli(["runs"], { env });
    expect(offline.stdout).toMatch(new RegExp(`^${runId}\\s+tf-ps-demo@0\\.0\\.0\\s+canceled`, "m"));
    expect(offline.stdout).not.toContain("from the web console");

    const del = await runCli(["delete", runId], { env });
    expect(del.code, del.stderr).toBe(0);
    expect(del.stdout).toBe(`deleted ${runId} (AVES2 job 1)\n`);
    expect(server!.jobs.has(1)).toBe(false);
    expect(records(runs)).toEqual([]);
    noSecrets(status.stdout, statusJson.stdout, early.stderr, logs.stdout, follow.stdout, list.stdout, listed.stdout, cancel.stdout, rerun.stdout, del.stdout);
  });

  it("run (attached) streams the job's log and ends with its state", async () => {
    const { runs, env } = await setup({
      script: [
        { status: "STARTING" },
        { status: "RUNNING", log: ["epoch 1/2", 'AVES2_EVENT {"type":"metric","epoch":1,"epochs":2,"loss":0.7}'] },
        { status: "RUNNING", log: ["epoch 2/2", 'AVES2_EVENT {"type":"summary","metrics":{"top1":0.91}}'] },
        { status: "FINISHED" },
      ],
    });
    const r = await runCli(["run", "-f", join(JOBS, "tf-ps-job.yaml"), "--backend", "aves2"], { env: { ...env, CI: "1" } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("epoch 1/2\nepoch 2/2\n");
    expect(r.stdout).not.toContain("AVES2_EVENT");
    expect(r.stdout).toMatch(/✓ succeeded in [\d.]+s {2}tf-ps-demo-\d{8}-\d{6}-[a-z0-9]{4}/);
    expect(r.stdout).toContain("metrics: top1=0.9100");
    expect(r.stdout).toContain(`AVES2 job 1 on ${server!.url}`);
    const [id] = records(runs);
    expect(JSON.parse(readFileSync(join(runs, id!, "run.json"), "utf8")).metrics).toEqual({ epochs: [{ epoch: 1, epochs: 2, loss: 0.7 }], summary: { top1: 0.91 } });
  });

  it("a failed job: exit 1 with the server's reason", async () => {
    const { env } = await setup({ script: [{ status: "RUNNING", log: ["Traceback (most recent call last):"] }, { status: "FAILURE", msg: "worker-0 exited with code 2" }] });
    const r = await runCli(["run", "-f", join(JOBS, "tf-ps-job.yaml"), "--backend", "aves2"], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✗ failed after [\d.]+s {2}tf-ps-demo-.*\n {2}worker-0 exited with code 2/);
  });
});

describe("config: flags > environment > ~/.aves2/aves2.cfg", () => {
  it("--aves2-host and AVES2_HOST replace the file's host, AVES2_TOKEN its token, --namespace its namespace", async () => {
    const gone = await startAves2TestServer();
    await gone.close();
    const { env } = await setup({}, gone.url);
    const submit = (extra: string[], more: Record<string, string> = {}) =>
      runCli(["run", "-f", join(JOBS, "horovod-job.yaml"), "--backend", "aves2", "--detach", ...extra], { env: { ...env, ...more } });
    expect((await submit([])).stderr).toMatch(/^error: cannot reach the AVES2 server at http:\/\/127\.0\.0\.1:\d+\/aves2\/ \(ECONNREFUSED\)/);
    const byEnv = await submit([], { AVES2_HOST: server!.url });
    expect(byEnv.code, byEnv.stderr).toBe(0);
    const byFlag = await submit(["--aves2-host", server!.url, "--namespace", "flag-ns"], { AVES2_HOST: gone.url });
    expect(byFlag.code, byFlag.stderr).toBe(0);
    expect(posted().map((p) => p.namespace)).toEqual(["ada-team", "flag-ns"]);
    const rejected = await submit(["--aves2-host", server!.url], { AVES2_TOKEN: "env-token" });
    expect(rejected.code).toBe(2);
    expect(rejected.stderr).toContain("(check api_token (from AVES2_TOKEN)");
    expect(server!.jobs.size).toBe(2);
  });

  it("status, logs, runs and cancel take --aves2-host too, for jobs this machine has no record of", async () => {
    const gone = await startAves2TestServer();
    await gone.close();
    const { env } = await setup({}, gone.url); // aves2.cfg names a server that is down
    const { id } = server!.addJob({ job_name: "from the web console", status: "RUNNING", create_time: "2020-01-01T00:00:00Z" });
    server!.appendLog(id, "epoch 1");
    const host = ["--aves2-host", server!.url];
    const down = await runCli(["status", String(id)], { env });
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/cannot reach the AVES2 server at http:\/\/127\.0\.0\.1:\d+\/aves2\/ \(ECONNREFUSED\)/);
    const status = await runCli(["status", String(id), ...host], { env });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`AVES2 job: ${id} (RUNNING) on ${server!.url}`);
    expect((await runCli(["logs", String(id), ...host], { env })).stdout).toBe("epoch 1\n");
    const runs = await runCli(["runs", "--backend", "aves2", "--json", ...host], { env });
    expect(JSON.parse(runs.stdout).map((r: { runId: string }) => r.runId)).toEqual([String(id)]);
    const cancel = await runCli(["cancel", String(id), ...host], { env });
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(server!.jobs.get(id)!.status).toBe("CANCELED");
  });

  it("render shows where it would post and the S3 settings, the secret as ***", async () => {
    const { env } = await setup();
    const r = await runCli(["render", "-f", join(JOBS, "tf-ps-job.yaml"), "--backend", "aves2", "--json"], { env });
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.endpoint).toBe(`${server!.url}api/aves_job/`);
    expect(plan.payload.storage_config).toEqual({ mode: "OSSFile", config: { ...STORAGE.config, S3SecretAccessKey: "***" } });
    noSecrets(r.stdout, r.stderr);
    expect(server!.requests).toEqual([]);
  });
});

describe("errors: a clear message, non-zero exit, nothing half-submitted", () => {
  const seedRun = (env: Record<string, string>) => runInRepo(["run", "-f", join(JOBS, "seed-job.yaml"), "--backend", "aves2", "--detach"], { env });
  const expectNothingSubmitted = (runs: string) => {
    expect(server!.mutations()).toEqual([]);
    expect(server!.jobs.size).toBe(0);
    expect(records(runs)).toEqual([]);
  };

  it("the server cannot be reached", async () => {
    const gone = await startAves2TestServer();
    await gone.close();
    const { runs, env } = await setup({}, gone.url);
    const r = await seedRun(env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: cannot reach the AVES2 server at http:\/\/127\.0\.0\.1:\d+\/aves2\/ \(ECONNREFUSED\) \(check the host \(from .*aves2\.cfg \(Aves2Server\.host\)\): AVES2_HOST, --aves2-host or host in ~\/\.aves2\/aves2\.cfg\)\n$/);
    expect(records(runs)).toEqual([]);
  });

  it("401: the token is wrong", async () => {
    const { runs, env } = await setup();
    const r = await seedRun({ ...env, AVES2_TOKEN: "not-the-token" });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: the AVES2 server at ${server!.url} refused the API token (HTTP 401): it is wrong or expired (check api_token (from AVES2_TOKEN); get a token at ${server!.url}center/token/ (server said: Invalid token.))\n`,
    );
    expect(r.stderr).not.toContain("not-the-token");
    expectNothingSubmitted(runs);
  });

  it("403: the token lacks rights", async () => {
    const { runs, env } = await setup({ readOnlyToken: "reader-token" });
    const r = await seedRun({ ...env, AVES2_TOKEN: "reader-token" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: the AVES2 server at .* refused POST aves_job\/ \(HTTP 403\): the API token lacks the rights for it \(check api_token/);
    expect(records(runs)).toEqual([]);
    expect(server!.jobs.size).toBe(0);
  });

  it("400: the server's detail", async () => {
    const { runs, env } = await setup();
    server!.failNext(/^POST aves_job\/$/, { status: 400, body: JSON.stringify({ detail: "namespace ada-team has no GPU quota" }) });
    const r = await seedRun(env);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: the AVES2 server rejected POST aves_job/ (HTTP 400): namespace ada-team has no GPU quota\n");
    expect(records(runs)).toEqual([]);
  });

  it("404: a job the server does not have", async () => {
    const { env } = await setup();
    for (const verb of ["status", "logs", "cancel", "rerun", "delete"]) {
      const r = await runCli([verb, "42"], { env });
      expect(r.code, verb).toBe(2);
      expect(r.stderr).toBe(`error: AVES2 job 42 was not found on ${server!.url} (\`component runs --backend aves2\` lists the jobs the token can see)\n`);
    }
  });

  it("a malformed JSON reply", async () => {
    const { runs, env } = await setup();
    server!.failNext(/^POST aves_job\/$/, { status: 201, body: "<html><body>502 Bad Gateway</body></html>", contentType: "text/html" });
    const r = await seedRun(env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: the AVES2 server's reply to POST aves_job\/ is not JSON: <html><body>502 Bad Gateway<\/body><\/html> \(is http:\/\/127\.0\.0\.1:\d+\/aves2\/ an AVES2 server\?/);
    expect(records(runs)).toEqual([]);
  });

  it("a malformed status reply", async () => {
    const { env } = await setup();
    const submit = await runCli(["run", "-f", join(JOBS, "tf-ps-job.yaml"), "--backend", "aves2", "--detach"], { env });
    server!.failNext(/^GET aves_job\/1$/, { status: 200, body: "{not json" });
    const r = await runCli(["status", submit.stdout.trim()], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: the AVES2 server's reply to GET aves_job\/1 is not JSON: \{not json \(is http:.* an AVES2 server\?\)\n$/);
    server!.failNext(/^GET aves_job\/1$/, { status: 200, body: JSON.stringify({ id: 1 }) });
    const r2 = await runCli(["status", submit.stdout.trim()], { env });
    expect(r2.stderr).toMatch(/^error: the AVES2 server's reply to GET aves_job\/1 is not a job with id and status: \{"id":1\}/);
  });

  const refusedBeforeSending: [string, (file: string) => string[], RegExp][] = [
    ["TF_PS without a ps role", (f) => ["-f", f], /^error: .*job\.yaml:6: resource_spec: TF_PS needs a ps role/],
    ["an unknown role", (f) => ["-f", f], /^error: .*job\.yaml:7: resource_spec\.chief: unknown role "chief" \(AVES2 takes ps and worker\)$/m],
    ["PYTORCH_DDP", () => ["echo", "--distribute", "PYTORCH_DDP", "--workers", "2", "--image", "node:20", "--code", "s3://bkt/code/", "--input", "data_dir=s3://bkt/d/", "--output", "result_dir=s3://bkt/o/"], /^error: --distribute: PYTORCH_DDP is not supported by AVES2/],
  ];
  for (const [what, args, message] of refusedBeforeSending) {
    it(what, async () => {
      const { runs, env } = await setup();
      const file = join(tempDir(), "job.yaml");
      const tfps = readFileSync(join(JOBS, "tf-ps-job.yaml"), "utf8");
      writeFileSync(file, what === "an unknown role" ? tfps.replace("  ps:\n", "  chief:\n    count: 1\n    cpu: 1\n    mem: 1\n    gpu: 0\n  ps:\n") : tfps.replace(/ {2}ps:\n(?: {4}.*\n){4}/, ""));
      const r = await runCli(["run", ...args(file), "--backend", "aves2", "--detach"], { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(server!.requests).toEqual([]);
      expect(records(runs)).toEqual([]);
    });
  }
});
