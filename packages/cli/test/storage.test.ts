import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { type CliResult, REPO, type S3TestServer, S3_TEST_KEY, S3_TEST_SECRET, startS3Server, waitFor } from "@aves2/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir } from "./cli.js";

/** Every file under `dir`, relative path → SHA-256. */
function digest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath, e.name);
    out[p.slice(dir.length + 1)] = createHash("sha256").update(readFileSync(p)).digest("hex");
  }
  return out;
}

/** Nothing a command prints may carry the credentials, the key id nor the secret. */
function noSecrets(r: CliResult): void {
  expect(r.stdout + r.stderr).not.toContain(S3_TEST_KEY);
  expect(r.stdout + r.stderr).not.toContain(S3_TEST_SECRET);
}

let server: S3TestServer;
let env: Record<string, string>;

beforeAll(async () => {
  server = await startS3Server({ buckets: ["aves2"] });
  env = server.env();
});

afterAll(async () => {
  await server?.stop();
});

describe("component storage sync and ls", () => {
  it("uploads a folder, lists it, downloads it back identical; a second sync moves nothing", async () => {
    const src = tempDir("aves2-sync-src-");
    for (const cls of ["cats", "dogs"]) {
      mkdirSync(join(src, cls));
      for (let i = 0; i < 20; i++) writeFileSync(join(src, cls, `img-${i}.bin`), randomBytes(100 + i * 13));
    }
    writeFileSync(join(src, "labels.txt"), "cats\ndogs\n");

    const up = await runCli(["storage", "sync", src, "s3://aves2/sync/ds/"], { env });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/^✓ uploaded 41 files \([\d.]+ KB\) to s3:\/\/aves2\/sync\/ds\/ in [\d.]+s/m);
    // not a TTY: plain lines, no carriage returns or escape codes redrawing a line
    expect(up.stderr).not.toMatch(/[\r\x1b]/);
    expect(up.stderr).toMatch(/^↑ sync s3:\/\/aves2\/sync\/ds\/: 41\/41 files/m);
    noSecrets(up);

    const again = await runCli(["storage", "sync", src, "s3://aves2/sync/ds/"], { env });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/✓ uploaded 0 files \(0 B\) .*; 41 unchanged/);

    const ls = await runCli(["storage", "ls", "s3://aves2/sync/ds/"], { env });
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).toMatch(/PRE\s+sync\/ds\/cats\//);
    expect(ls.stdout).toMatch(/PRE\s+sync\/ds\/dogs\//);
    expect(ls.stdout).toMatch(/\d+ B\s+sync\/ds\/labels\.txt/);

    const lsJson = await runCli(["storage", "ls", "s3://aves2/sync/ds", "--json"], { env });
    expect(lsJson.code).toBe(0);
    expect(JSON.parse(lsJson.stdout)).toEqual([
      { key: "sync/ds/cats/", kind: "folder" },
      { key: "sync/ds/dogs/", kind: "folder" },
      { key: "sync/ds/labels.txt", kind: "object", size: 10, lastModified: expect.any(String), etag: createHash("md5").update("cats\ndogs\n").digest("hex") },
    ]);
    const all = JSON.parse((await runCli(["storage", "ls", "s3://aves2/sync/ds/", "--recursive", "--json"], { env })).stdout);
    expect(all).toHaveLength(41);

    const into = join(tempDir("aves2-sync-dst-"), "copy");
    const down = await runCli(["storage", "sync", "s3://aves2/sync/ds/", into, "--json"], { env });
    expect(down.code, down.stderr).toBe(0);
    const events = down.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(events.at(-1)).toMatchObject({ type: "result", direction: "in", files: 41, skipped: 0, uri: "s3://aves2/sync/ds/" });
    expect(events.some((e) => e.type === "transfer-done" && e.files === 41 && e.totalFiles === 41)).toBe(true);
    expect(digest(into)).toEqual(digest(src));
    noSecrets(down);

    const downAgain = await runCli(["storage", "sync", "s3://aves2/sync/ds/", into], { env });
    expect(downAgain.stdout).toMatch(/✓ downloaded 0 files .*; 41 unchanged/);
  });

  it("uploads one file (an archive of code) into a prefix, and writes a marker on request", async () => {
    const dir = tempDir();
    const file = join(dir, "code.tar.gz");
    writeFileSync(file, randomBytes(3000));
    const r = await runCli(["storage", "sync", file, "s3://aves2/sync/code/"], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/✓ uploaded 1 file .* to s3:\/\/aves2\/sync\/code\/code\.tar\.gz/);

    const out = tempDir();
    writeFileSync(join(out, "metrics.json"), "{}");
    const m = await runCli(["storage", "sync", out, "s3://aves2/sync/marked/", "--marker"], { env });
    expect(m.stdout).toMatch(/; wrote _SUCCESS/);
    const manifest = JSON.parse(await (await server.client().send(new GetObjectCommand({ Bucket: "aves2", Key: "sync/marked/_SUCCESS" }))).Body!.transformToString());
    expect(manifest.files).toEqual([{ path: "metrics.json", size: 2, md5: createHash("md5").update("{}").digest("hex") }]);
  });

  it("bad locations and credentials: one clear message, exit 2, no stack trace, no secret", async () => {
    const src = tempDir();
    writeFileSync(join(src, "a.txt"), "a");
    const cases: [string[], Record<string, string>, RegExp][] = [
      [["storage", "sync", src, "s3://no-such-bucket/x/"], env, /^error: <dst>: bucket "no-such-bucket" does not exist at http:\/\/127\.0\.0\.1:\d+/m],
      [["storage", "sync", src, "s3://Bad_Bucket/x/"], env, /malformed URI "s3:\/\/Bad_Bucket\/x\/": "Bad_Bucket" is not a valid bucket name/],
      [["storage", "sync", src, "gs://b/x/"], env, /unknown scheme "gs:\/\/"/],
      [["storage", "sync", src, tempDir()], env, /one side must be a local folder and the other s3:\/\//],
      [["storage", "sync", "s3://aves2/sync/nothing-here/", tempDir()], env, /s3:\/\/aves2\/sync\/nothing-here\/ has no objects/],
      [["storage", "ls", "s3://no-such-bucket/"], env, /bucket "no-such-bucket" does not exist/],
      [
        ["storage", "sync", src, "s3://aves2/sync/wrong/"],
        { ...env, AWS_ACCESS_KEY_ID: "AKIAWRONGKEY", AWS_SECRET_ACCESS_KEY: "wrong-secret-value" },
        /the access key id is not known at http:\/\/127\.0\.0\.1:\d+ \(credentials from AWS_ACCESS_KEY_ID in the environment\)/,
      ],
    ];
    for (const [args, e, message] of cases) {
      const r = await runCli(args, { env: e });
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(r.stdout + r.stderr).not.toMatch(/wrong-secret-value|AKIAWRONGKEY|S3RVER/);
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

describe("pnpm s3:dev", () => {
  it("starts a local S3 server with the sample datasets and says what to export", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [join(REPO, "scripts/s3-dev.mjs")], {
      env: { ...process.env, S3_DEV_PORT: String(port), S3_DEV_DIR: tempDir("aves2-s3-dev-") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    try {
      await waitFor(() => out.includes("Ctrl-C stops it"), 60_000);
      expect(out).toMatch(/s3:\/\/aves2\/datasets\/digits\/: 1797 files uploaded, 0 already there/);
      const exported = /export (.+)/.exec(out)![1]!;
      const env = Object.fromEntries(exported.split(" ").map((kv) => kv.split("=") as [string, string]));
      expect(env.AWS_ENDPOINT_URL).toBe(`http://127.0.0.1:${port}`);
      expect(out).toContain("pnpm component run mobilenet-v2 --set epochs=1");
      // the printed environment is all a newcomer needs
      const ls = await runCli(["storage", "ls", "s3://aves2/datasets/digits/", "--json"], { env });
      expect(ls.code, ls.stderr).toBe(0);
      expect(JSON.parse(ls.stdout)).toEqual([
        { key: "datasets/digits/train/", kind: "folder" },
        { key: "datasets/digits/validation/", kind: "folder" },
      ]);
    } finally {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGINT");
      await exited;
    }
  }, 90_000);
});
