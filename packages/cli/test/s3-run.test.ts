import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { type CliResult, runCli as runInRepo, type S3TestServer, S3_TEST_SECRET, startS3Server, writeArchive } from "@aves2/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURE, REPO, runCli, tempDir } from "./cli.js";

let server: S3TestServer;

beforeAll(async () => {
  server = await startS3Server({ buckets: ["aves2"] });
  // the echo component's bundled data, as a dataset in the bucket
  await put("echo/data/sample.csv", readFileSync(join(FIXTURE, "components/echo/data/sample.csv")));
});

afterAll(async () => {
  await server?.stop();
});

function put(key: string, body: Buffer | string) {
  return server.client().send(new PutObjectCommand({ Bucket: "aves2", Key: key, Body: body }));
}

async function text(key: string): Promise<string> {
  return (await server.client().send(new GetObjectCommand({ Bucket: "aves2", Key: key }))).Body!.transformToString();
}

async function keys(prefix: string): Promise<string[]> {
  const page = await server.client().send(new ListObjectsV2Command({ Bucket: "aves2", Prefix: prefix }));
  return (page.Contents ?? []).map((o) => o.Key!.slice(prefix.length)).sort();
}

async function exists(key: string): Promise<boolean> {
  return server
    .client()
    .send(new HeadObjectCommand({ Bucket: "aves2", Key: key }))
    .then(() => true)
    .catch(() => false);
}

function onlyRecord(runs: string) {
  const [id] = readdirSync(runs);
  return { id: id!, raw: readFileSync(join(runs, id!, "run.json"), "utf8"), record: JSON.parse(readFileSync(join(runs, id!, "run.json"), "utf8")) };
}

/** The credentials are never printed nor recorded (s3rver's key id and secret are both this word). */
function noSecrets(...texts: string[]): void {
  for (const t of texts) expect(t).not.toContain(S3_TEST_SECRET);
}

function envFor(runs: string): Record<string, string> {
  return server.env({ AVES2_RUNS_DIR: runs, AVES2_CACHE_DIR: tempDir("aves2-cache-") });
}

describe("runs with s3:// inputs, outputs and code (local backend, s3rver)", () => {
  it("downloads inputs before, uploads outputs and logs after, with the marker; a failed run uploads too, without it", async () => {
    const runs = tempDir();
    const env = envFor(runs);
    const ok = await runCli(["run", "echo", "--set", "epochs=2", "--input", "data_dir=s3://aves2/echo/data/", "--output", "result_dir=s3://aves2/echo/run/out/"], { env });
    expect(ok.code, ok.stderr + ok.stdout).toBe(0);
    expect(ok.stdout).toContain("data has 1 file(s)");
    expect(ok.stdout).toMatch(/^↓ data_dir s3:\/\/aves2\/echo\/data\/: 1\/1 files/m);
    expect(ok.stdout).toMatch(/^↑ result_dir s3:\/\/aves2\/echo\/run\/out\/: /m);
    expect(ok.stdout).not.toMatch(/[\r\x1b]/); // not a TTY: plain lines

    const { id, raw, record } = onlyRecord(runs);
    expect(record.state).toBe("succeeded");
    expect(record.transfers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ direction: "in", name: "data_dir", uri: "s3://aves2/echo/data/", files: 1, method: "download" }),
        expect.objectContaining({ direction: "out", name: "result_dir", uri: "s3://aves2/echo/run/out/", files: 4, marker: "_SUCCESS", method: "upload" }),
        expect.objectContaining({ direction: "out", name: "logs", uri: `s3://aves2/echo/run/logs/${id}/`, method: "upload" }),
      ]),
    );
    expect(await keys("echo/run/out/")).toEqual(["_SUCCESS", "argv.json", "epoch-1.txt", "epoch-2.txt", "grandchild.pid"]);
    const manifest = JSON.parse(await text("echo/run/out/_SUCCESS"));
    expect(manifest).toMatchObject({ runId: id, component: "echo@0.0.0" });
    expect(manifest.files.map((f: { path: string }) => f.path).sort()).toEqual(["argv.json", "epoch-1.txt", "epoch-2.txt", "grandchild.pid"]);
    expect(await text(`echo/run/logs/${id}/worker-0.log`)).toContain("epoch 2/2 done");
    noSecrets(ok.stdout, ok.stderr, raw);

    // the same output prefix, a run that fails: files and logs are saved, the old marker is gone
    const runs2 = tempDir();
    const bad = await runCli(["run", "echo", "--set", "epochs=1", "--set", "exit_code=3", "--input", "data_dir=s3://aves2/echo/data/", "--output", "result_dir=s3://aves2/echo/run/out/"], {
      env: envFor(runs2),
    });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/✗ failed .*\n\s+worker-0 exited with code 3: echo: failing on purpose with 3/);
    const failed = onlyRecord(runs2);
    expect(failed.record.state).toBe("failed");
    const out = failed.record.transfers.find((t: { name: string }) => t.name === "result_dir");
    expect(out).toMatchObject({ direction: "out", uri: "s3://aves2/echo/run/out/" });
    expect(out.marker).toBeUndefined();
    expect(await exists("echo/run/out/_SUCCESS")).toBe(false);
    expect(await text(`echo/run/logs/${failed.id}/worker-0.log`)).toContain("echo: failing on purpose with 3");
    noSecrets(bad.stdout, bad.stderr, failed.raw);
  });

  it("takes its code from s3:// (a folder, or an archive) instead of the bundled source", async () => {
    const src = join(FIXTURE, "components/echo/src/main.mjs");
    const changed = readFileSync(src, "utf8").replace("console.log(`echo: rank", "console.log(`code from s3; echo: rank");
    await put("code/echo/main.mjs", changed);
    const work = tempDir();
    const archive = writeArchive(join(work, "echo-code.tar.gz"), [{ name: "main.mjs", content: changed.replace("code from s3", "code from an archive") }]);
    await put("code/echo-code.tar.gz", readFileSync(archive));

    for (const [code, says, method] of [
      ["s3://aves2/code/echo/", "code from s3; echo", "download"],
      ["s3://aves2/code/echo-code.tar.gz", "code from an archive; echo", "download+unpack"],
    ] as const) {
      const runs = tempDir();
      const r = await runCli(["run", "echo", "--set", "epochs=1", "--code", code], { env: envFor(runs) });
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.stdout).toContain(says);
      const { record } = onlyRecord(runs);
      expect(record.transfers[0]).toMatchObject({ direction: "in", name: "code", uri: code, method });
      // the process may write beside its code: staged code is a writable copy, not links into the cache
      writeFileSync(join(runs, record.runId, "src", "main.mjs"), "// changed by the run\n");
    }
    // and that did not change what the cache holds for the next run
    const runs = tempDir();
    const again = await runCli(["run", "echo", "--set", "epochs=1", "--code", "s3://aves2/code/echo/"], { env: envFor(runs) });
    expect(again.stdout).toContain("code from s3; echo");
  });

  it("bad s3:// bindings fail before anything starts, with one clear message", async () => {
    const runs = tempDir();
    const env = envFor(runs);
    const cases: [string[], RegExp][] = [
      [["--input", "data_dir=s3://no-such-bucket/data/"], /^error: --input data_dir: bucket "no-such-bucket" does not exist at http:\/\/127\.0\.0\.1:\d+/m],
      [["--input", "data_dir=s3://aves2/nothing/"], /--input data_dir: s3:\/\/aves2\/nothing\/ is empty: no objects under this prefix/],
      [["--input", "data_dir=s3://aves2"], /--input data_dir: s3:\/\/aves2 has no key or prefix after the bucket/],
      [["--output", "result_dir=s3://no-such-bucket/out/"], /--output result_dir: bucket "no-such-bucket" does not exist/],
      [["--code", "s3://aves2/code/missing.tar.gz"], /archive s3:\/\/aves2\/code\/missing\.tar\.gz does not exist/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(["run", "echo", ...args], { env });
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    const wrong = await runCli(["run", "echo", "--input", "data_dir=s3://aves2/echo/data/"], { env: { ...env, AWS_ACCESS_KEY_ID: "AKIAWRONGKEY", AWS_SECRET_ACCESS_KEY: "wrong-secret-value" } });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/the access key id is not known at .* \(credentials from AWS_ACCESS_KEY_ID in the environment\)/);
    expect(wrong.stdout + wrong.stderr).not.toMatch(/AKIAWRONGKEY|wrong-secret-value/);
    expect(readdirSync(runs)).toEqual([]);
  });

  it("a rendered plan names the endpoint but never the credentials", async () => {
    const r = await runCli(["render", "echo", "--json", "--input", "data_dir=s3://aves2/echo/data/", "--output", "result_dir=s3://aves2/echo/out/"], { env: envFor(tempDir()) });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).storage).toEqual({ s3: expect.objectContaining({ endpoint: server.endpoint, pathStyle: true }) });
    noSecrets(r.stdout, r.stderr);
  });
});

describe("mobilenet-v2 end to end with s3:// input and output", () => {
  it("trains on the digits in the bucket and saves its results, logs and marker there", async () => {
    const env = envFor(tempDir());
    const digits = join(REPO, "components/mobilenet-v2/data/digits");
    const up = await runInRepo(["storage", "sync", digits, "s3://aves2/datasets/digits/"], { env });
    expect(up.code, up.stderr).toBe(0);

    const r: CliResult = await runInRepo(
      [
        "run",
        "mobilenet-v2",
        "--set",
        "epochs=1",
        "--input",
        "train_data_dir=s3://aves2/datasets/digits/train/",
        "--input",
        "validation_data_dir=s3://aves2/datasets/digits/validation/",
        "--output",
        "result_dir=s3://aves2/runs/mnv2/out/",
        "--output",
        "checkpoint_dir=s3://aves2/runs/mnv2/ckpt/",
      ],
      { env: { ...env, CI: "1" } },
    );
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const { id, raw, record } = onlyRecord(env.AVES2_RUNS_DIR!);
    const names = (dir: string) => readdirSync(join(digits, dir), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
    expect(record.transfers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ direction: "in", name: "train_data_dir", files: names("train") }),
        expect.objectContaining({ direction: "in", name: "validation_data_dir", files: names("validation") }),
        expect.objectContaining({ direction: "out", name: "result_dir", marker: "_SUCCESS" }),
        expect.objectContaining({ direction: "out", name: "checkpoint_dir", marker: "_SUCCESS" }),
        expect.objectContaining({ direction: "out", name: "logs", uri: `s3://aves2/runs/mnv2/logs/${id}/` }),
      ]),
    );
    const metrics = JSON.parse(await text("runs/mnv2/out/metrics.json"));
    expect(metrics.top1).toBeGreaterThan(0.2); // chance is 0.1
    expect(await keys("runs/mnv2/out/")).toEqual(expect.arrayContaining(["_SUCCESS", "metrics.json", "confusion_matrix.csv"]));
    expect(await keys("runs/mnv2/ckpt/")).toEqual(["_SUCCESS", "best.pt", "last.pt", "model.pt"]);
    expect(await exists(`runs/mnv2/logs/${id}/worker-0.log`)).toBe(true);
    noSecrets(r.stdout, r.stderr, raw);
  }, 300_000);
});
