import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { findComponent } from "@aves2/core";
import { REPO, runCli as runInRepo, S3_TEST_KEY, type S3TestServer, startS3Server } from "@aves2/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir } from "./cli.js";

/**
 * AVES2 job files on the local backend: the seed's file as it is, its data and
 * code in object storage (s3rver, reached through the AVES2 client's own
 * config file, as a seed user has it), and a job that is no catalog component.
 */
const SEED = join(REPO, "packages/core/test/aves2/fixtures/seed-job.yaml");
const S3_SECRET = "seed-user-s3-secret";

/**
 * Stands in for the seed's upstream code at s3://aves2/opensource/components/mobilenet-v2-14/
 * (TensorFlow 1.12 on TFRecords, which cannot run here): it checks what the
 * AVES2 pod would give it and writes its argv to both outputs.
 */
const FAKE_TRAIN = `import json, os, sys
args = sys.argv[1:]
opt = lambda n: args[args.index("--" + n) + 1]
for n in ("train_data_dir", "validation_data_dir", "pre_trained_model_ckpt_path"):
    assert os.listdir(opt(n)), n
with open(os.path.join(opt("result_dir"), "argv.json"), "w") as f:
    json.dump(args, f)
with open(os.path.join(opt("checkpoint_dir"), "model.ckpt"), "w") as f:
    f.write("ckpt")
print("fake upstream trainer ran")
print("AVES2_EVENT " + json.dumps({"type": "summary", "metrics": {"top1": 0.5}}))
`;

let s3: S3TestServer;
let env: Record<string, string>;

beforeAll(async () => {
  s3 = await startS3Server({ buckets: ["aves2"] });
  const client = s3.client();
  const put = (key: string, body: string) => client.send(new PutObjectCommand({ Bucket: "aves2", Key: key, Body: body }));
  const data = "opensource/datasets/classification/pettfrecord";
  // the seed says num_class: 37, which the mobilenet-v2 preflight checks against the class folders
  const classes = Array.from({ length: 37 }, (_, i) => `class${String(i).padStart(2, "0")}`);
  await Promise.all([
    put("opensource/components/mobilenet-v2-14/model_train_new.py", FAKE_TRAIN),
    ...classes.map((c) => put(`${data}/train/${c}/0.txt`, c)),
    put(`${data}/test/class00/0.txt`, "class00"),
    put("opensource/pretrainedmodels/image_classification/mobilenet_v2_1.4_224.ckpt", "weights"),
  ]);
  const dir = tempDir("aves2-local-");
  const cfg = join(dir, "aves2.cfg");
  writeFileSync(
    cfg,
    `[Aves2Server]\n    host = 'http://127.0.0.1:9/aves2/'\n    api_token = 'unused-token'\n[StorageConf]\n    [[S3]]\n        S3Endpoint = '${s3.endpoint}'\n        S3AccessKeyId = '${S3_TEST_KEY}'\n        S3SecretAccessKey = '${S3_SECRET}'\n`,
  );
  // s3rver takes any secret for its one key; the point is that this one comes from aves2.cfg, not AWS_*
  env = { AVES2_CLIENT_CONFIG: cfg, AVES2_RUNS_DIR: join(dir, "runs"), AWS_SHARED_CREDENTIALS_FILE: "/no/such/credentials", AWS_CONFIG_FILE: "/no/such/config" };
}, 60_000);

afterAll(async () => {
  await s3?.stop();
});

describe("job files on the local backend", () => {
  it("render -f: the seed's job as a local plan (code, data and outputs in S3)", async () => {
    const r = await runInRepo(["render", "-f", SEED, "--json"], { env });
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.backend).toBe("local");
    expect(plan.spec.component.name).toBe("mobilenet-v2");
    expect(plan.spec.params).toMatchObject({ model_name: "mobilenet_v2_14", num_class: 37, batch_size: 4, epochs: 1 });
    expect(plan.code.from).toBe("s3://aves2/opensource/components/mobilenet-v2-14/");
    expect(plan.inputs.map((i: { name: string }) => i.name)).toEqual(["train_data_dir", "validation_data_dir", "pre_trained_model_ckpt_path"]);
    expect(r.stdout).not.toContain(S3_SECRET);
  });

  it("run -f: the seed's job file as it is, staged from S3 with the aves2.cfg credentials", async () => {
    const r = await runInRepo(["run", "-f", SEED, "--json"], { env });
    expect(r.code, r.stderr).toBe(0);
    const record = JSON.parse(r.stdout);
    expect(record).toMatchObject({ backend: "local", state: "succeeded", component: { name: "mobilenet-v2" }, metrics: { summary: { top1: 0.5 } } });
    expect(r.stderr).toContain("fake upstream trainer ran");
    const get = async (key: string) => (await s3.client().send(new GetObjectCommand({ Bucket: "aves2", Key: key }))).Body!.transformToString();
    // the seed's args in its order, then its inputs and outputs in theirs, as the AVES2 pod calls it
    const argv = JSON.parse(await get("opensource/test/mobilenet-v2/out/argv.json")) as string[];
    const mobilenet = findComponent(REPO, "mobilenet-v2");
    expect(argv.filter((a) => a.startsWith("--"))).toEqual([
      ...mobilenet.params.map((p) => `--${p.name}`),
      "--train_data_dir", "--validation_data_dir", "--pre_trained_model_ckpt_path", "--result_dir", "--checkpoint_dir",
    ]);
    expect(argv.slice(0, 8)).toEqual(["--model_name", "mobilenet_v2_14", "--num_class", "37", "--batch_size", "4", "--epochs", "1"]);
    expect(await get("opensource/test/mobilenet-v2/checkpoint/model.ckpt")).toBe("ckpt");
    const runJson = readFileSync(join(env.AVES2_RUNS_DIR!, record.runId, "run.json"), "utf8");
    for (const text of [r.stdout, r.stderr, runJson]) expect(text).not.toContain(S3_SECRET);
  }, 60_000);

  it("run -f: a job whose command is no component's runs as an ad-hoc command", async () => {
    const dir = tempDir("aves2-adhoc-");
    for (const d of ["code", "data", "out"]) mkdirSync(join(dir, d));
    writeFileSync(join(dir, "data/a.txt"), "a");
    writeFileSync(
      join(dir, "code/adhoc.mjs"),
      `import { readdirSync, writeFileSync } from "node:fs";
const args = process.argv.slice(2);
const opt = (n) => args[args.indexOf("--" + n) + 1];
writeFileSync(opt("result_dir") + "/argv.json", JSON.stringify({ args, data: readdirSync(opt("data_dir")), greeting: process.env.GREETING }));
console.log("ad-hoc ran");
`,
    );
    const job = join(dir, "job.yaml");
    writeFileSync(
      job,
      `job_name: 'ad-hoc node script'
debug: false
distribute_type: Null
image: node:20-slim
resource_spec:
  worker: {count: 1, cpu: 1, mem: 1, gpu: 0}
running_spec:
  source_code: {storage_mode: HostPath, storage_conf: {path: ${dir}/code/}}
  envs: [{name: GREETING, value: hello}]
  cmd: "node adhoc.mjs"
  normal_args: [{name: epochs, value: 2}, {name: message, value: hi there}]
  input_args: [{name: data_dir, data_conf: {storage_mode: HostPath, storage_conf: {path: ${dir}/data/}}}]
  output_args: [{name: result_dir, data_conf: {storage_mode: HostPath, storage_conf: {path: ${dir}/out/}}}]
`,
    );
    // the echo test component's command is `node main.mjs`: this one is no component's
    const r = await runCli(["run", "-f", job], { env: { AVES2_RUNS_DIR: join(dir, "runs"), AVES2_CLIENT_CONFIG: "/no/such/aves2.cfg" } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^run ad-hoc-node-script-\d{8}-\d{6}-[a-z0-9]{4}: ad-hoc-node-script 0\.0\.0 on local$/m);
    expect(r.stdout).toContain("ad-hoc ran");
    const seen = JSON.parse(readFileSync(join(dir, "out/argv.json"), "utf8"));
    expect(seen.args.filter((_: string, i: number) => i % 2 === 0)).toEqual(["--epochs", "--message", "--data_dir", "--result_dir"]);
    expect(seen.args.slice(0, 4)).toEqual(["--epochs", "2", "--message", "hi there"]);
    expect(seen).toMatchObject({ data: ["a.txt"], greeting: "hello" });
    expect(readdirSync(join(dir, "runs"))).toHaveLength(1);
  });
});
