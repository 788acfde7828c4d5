import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import {
  collectOutput,
  freePort,
  mirrorDependencies,
  offlineNpmEnv,
  type RegistryServer,
  type S3TestServer,
  startFaultProxy,
  startHttpForwardProxy,
  startRegistry,
  startS3Server,
} from "@aves2/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURE, REPO, runCli, tempDir } from "./cli.js";

/**
 * Publishing and consuming versions, against a real npm registry (verdaccio)
 * and a real S3 server (s3rver), both on 127.0.0.1. Nothing here needs the
 * internet: the registry has no uplinks, and installing the CLI from it finds
 * the third-party packages there too (mirrored from this workspace).
 */
let registry: RegistryServer;
let s3: S3TestServer;
let root: string;
let env: Record<string, string>;

function setVersion(version: string): void {
  writeFileSync(
    join(root, "components/echo/package.json"),
    JSON.stringify({ name: "@aves2-components/echo", version, license: "Apache-2.0", files: ["component.yaml", "src", "data"] }),
  );
}

function npmrc(lines: string[]): string {
  const file = join(tempDir("npmrc-"), ".npmrc");
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

beforeAll(async () => {
  [registry, s3] = await Promise.all([startRegistry(), startS3Server({ buckets: ["catalog"] })]);
  root = tempDir("aves2-pub-");
  cpSync(FIXTURE, root, { recursive: true });
  setVersion("1.0.0");
  env = {
    ...s3.env(),
    npm_config_registry: registry.url,
    NPM_CONFIG_USERCONFIG: npmrc([`${registry.url.replace(/^http:/, "")}:_authToken=${registry.token}`]),
    AVES2_CACHE_DIR: tempDir("cache-"),
    AVES2_RUNS_DIR: tempDir("runs-"),
  };
}, 60_000);

afterAll(async () => {
  await Promise.all([registry?.stop(), s3?.stop()]);
});

describe("publish", () => {
  it("--dry-run says what would be published and publishes nothing", async () => {
    const r = await runCli(["publish", "--to", "s3://catalog", "--no-build", "--dry-run", "--json"], { cwd: root, env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ name: "echo", version: "1.0.0", registry: "would publish", storage: "would publish" })]);
    expect((await fetch(`${registry.url}@aves2-components%2fecho`)).status).toBe(404);
  });

  it("publishes to the registry and to object storage (code folder, tarball, index)", async () => {
    const r = await runCli(["publish", "--to", "s3://catalog", "--no-build"], { cwd: root, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/echo\s+1\.0\.0\s+published\s+published/);
    const doc = (await (await fetch(`${registry.url}@aves2-components%2fecho`)).json()) as { versions: Record<string, { dist: { integrity: string }; aves2: { source: string } }> };
    expect(doc.versions["1.0.0"]!.aves2.source).toBe("src");
    const client = s3.client();
    const get = async (key: string) => (await client.send(new (await import("@aws-sdk/client-s3")).GetObjectCommand({ Bucket: "catalog", Key: key }))).Body!.transformToString();
    const index = JSON.parse(await get("components/index.json"));
    expect(index.components.echo.versions["1.0.0"]).toMatchObject({ integrity: doc.versions["1.0.0"]!.dist.integrity, code: "echo/1.0.0/", tarball: "echo/echo-1.0.0.tgz" });
    expect(await get("components/echo/1.0.0/main.mjs")).toContain("AVES2_EVENT");
  });

  it("refuses to publish the same version again", async () => {
    const r = await runCli(["publish", "echo", "--to", "s3://catalog", "--no-build"], { cwd: root, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: echo@1\.0\.0 is already published \(registry and s3:\/\/catalog\/components\/\)/m);
  });

  it("by default publishes only versions not yet published", async () => {
    setVersion("1.1.0");
    const r = await runCli(["publish", "--to", "s3://catalog", "--no-build", "--json"], { cwd: root, env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ version: "1.1.0", registry: "published", storage: "published" })]);
  });

  it("a publish that fails half-way (storage down) says so, and running it again finishes it", async () => {
    setVersion("1.2.0");
    // reads pass (the pre-checks succeed), the uploads after the registry publish get 503
    const proxy = await startFaultProxy(s3.endpoint);
    proxy.refuseWrites(true);
    const failed = await runCli(["publish", "--to", "s3://catalog", "--no-build", "--json"], {
      cwd: root,
      env: { ...env, AWS_ENDPOINT_URL: proxy.url, AVES2_S3_RETRY_SECONDS: "2" },
    }).finally(() => proxy.stop());
    expect(failed.code, failed.stdout + failed.stderr).toBe(1);
    expect(proxy.seen.some((r) => r.startsWith("PUT "))).toBe(true);
    expect(JSON.parse(failed.stdout)).toEqual([expect.objectContaining({ version: "1.2.0", registry: "published", storage: "failed" })]);
    expect(failed.stderr).toMatch(/echo@1\.2\.0: published to the registry, but the upload to s3:\/\/catalog\/components\/ failed: .*Run `component publish echo` again to finish/);
    const again = await runCli(["publish", "echo", "--to", "s3://catalog", "--no-build", "--json"], { cwd: root, env });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual([expect.objectContaining({ version: "1.2.0", registry: "present", storage: "published" })]);
  }, 120_000);

  it("says when the registry refuses the token, or is not there", async () => {
    setVersion("1.3.0");
    const noToken = await runCli(["publish", "echo", "--no-build"], { cwd: root, env: { ...env, NPM_CONFIG_USERCONFIG: npmrc([]) } });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/refused to publish @aves2-components\/echo@1\.3\.0 \(401.*no token for this registry/);
    const closed = await freePort(); // nothing listens there (fetch refuses "unsafe" ports such as 9 before connecting)
    const down = await runCli(["publish", "echo", "--no-build", "--registry", `http://127.0.0.1:${closed}/`], { cwd: root, env });
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/^error: cannot reach the registry http:\/\/127\.0\.0\.1:\d+\/ \(ECONNREFUSED\) \(is it running\? The registry comes from --registry\)$/m);
  });

  it("names a missing bucket", async () => {
    const r = await runCli(["publish", "echo", "--to", "s3://no-such-bucket", "--no-build", "--registry", registry.url], { cwd: root, env });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/no-such-bucket/);
  }, 60_000);
});

describe("consume", () => {
  it("lists and searches what is published", async () => {
    const remote = JSON.parse((await runCli(["list", "--remote", "--json"], { cwd: root, env })).stdout);
    expect(remote).toEqual([expect.objectContaining({ name: "echo" })]);
    const fromS3 = JSON.parse((await runCli(["search", "echo", "--from", "s3://catalog", "--json"], { cwd: root, env })).stdout);
    expect(fromS3).toEqual([expect.objectContaining({ name: "echo", version: "1.2.0" })]);
    const none = await runCli(["search", "zebra", "--from", "s3://catalog"], { cwd: root, env });
    expect(none.stdout).toContain('nothing published matches "zebra"');
  });

  it("runs an exact published version from an empty folder, and caches it", async () => {
    const empty = tempDir("empty-");
    const r = await runCli(["run", "echo@1.0.0", "--set", "epochs=1", "--json"], { cwd: empty, env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ state: "succeeded", component: { name: "echo", version: "1.0.0" } });
    expect(existsSync(join(env.AVES2_CACHE_DIR!, "components/echo/1.0.0/echo/component.yaml"))).toBe(true);
    const unknown = await runCli(["run", "echo@9.9.9"], { cwd: empty, env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/echo@9\.9\.9 is not published on .* \(published versions: 1\.0\.0, 1\.1\.0, 1\.2\.0\)/);
  });

  it("renders cluster jobs of a published version with its published code, not local files", async () => {
    const out = ["--image", "node:20", "--input", "data_dir=s3://catalog/data/", "--output", "result_dir=s3://catalog/out/"];
    const fromS3 = await runCli(["render", "echo@1.0.0", "--backend", "aves2", "--from", "s3://catalog", ...out], { cwd: tempDir(), env: { ...env, AVES2_CACHE_DIR: tempDir("cache-") } });
    expect(fromS3.code, fromS3.stderr).toBe(0);
    expect(fromS3.stdout).toMatch(/source_code:\s+storage_mode: OSSFile\s+storage_conf:\s+path: s3:\/\/catalog\/components\/echo\/1\.0\.0\//);
    // from the registry: its version document records where publish put the code
    const fromRegistry = await runCli(["render", "echo@1.2.0", "--backend", "aves2", ...out], { cwd: tempDir(), env: { ...env, AVES2_CACHE_DIR: tempDir("cache-") } });
    expect(fromRegistry.code, fromRegistry.stderr).toBe(0);
    expect(fromRegistry.stdout).toContain("path: s3://catalog/components/echo/1.2.0/");
    expect(fromRegistry.stdout).not.toContain(env.AVES2_CACHE_DIR!);
  });

  it("refuses a tampered tarball", async () => {
    await s3.client().send(new PutObjectCommand({ Bucket: "catalog", Key: "components/echo/echo-1.1.0.tgz", Body: Buffer.from("not the published bytes") }));
    const r = await runCli(["info", "echo@1.1.0", "--from", "s3://catalog"], { cwd: tempDir(), env: { ...env, AVES2_CACHE_DIR: tempDir("cache-") } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the tarball of echo@1\.1\.0 from s3:\/\/catalog\/components\/ does not match its recorded digest \(sha512-.*\) \(it was altered after publishing/);
  });

  it("installs the CLI from the registry into an empty folder, with no internet, and runs a published component there", async () => {
    // the only registry is the test one (no uplinks); whatever npm, pnpm or the CLI would send anywhere else
    // goes to this proxy, which refuses it and keeps a note: the test fails on anything it notes
    const gate = await startHttpForwardProxy({ requireAuth: { user: "nobody", pass: randomUUID() } });
    try {
      const home = tempDir("user-");
      const auth = `${registry.url.replace(/^http:/, "")}:_authToken=${registry.token}`;
      writeFileSync(join(home, ".npmrc"), [`@aves2:registry=${registry.url}`, `@aves2-components:registry=${registry.url}`, auth].join("\n"));
      const npmEnv = offlineNpmEnv(registry, home, gate.url);
      const sh = (cmd: string, args: string[], cwd: string, env = npmEnv) => collectOutput(spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] }));

      // the gate holds: npm asking the public registry is refused there, and noted
      const outside = await sh("npm", ["view", "left-pad", "version", "--registry", "https://registry.npmjs.org/"], home);
      expect(outside.code).not.toBe(0);
      expect(outside.stderr).toContain("E407");
      expect(gate.refused).toContainEqual({ kind: "connect", target: "registry.npmjs.org:443" });
      gate.refused.splice(0);

      // the CLI's own packages, published as users get them (pnpm turns workspace:* into versions) ...
      for (const pkg of ["python-runtime", "storage", "core", "cli"]) {
        const r = await sh("pnpm", ["publish", "--registry", registry.url, "--no-git-checks"], join(REPO, "packages", pkg));
        expect(r.code, r.stdout + r.stderr).toBe(0);
      }
      // ... and every third-party package they need, from this workspace's node_modules
      const mirrored = await mirrorDependencies(registry, [join(REPO, "packages/cli")]);
      expect(mirrored.map((p) => p.name)).toEqual(expect.arrayContaining(["commander", "@kubernetes/client-node", "@aws-sdk/credential-provider-node"]));

      const install = await sh("npm", ["install", "--loglevel=error", "@aves2/cli"], home);
      expect(install.code, install.stderr).toBe(0);
      expect(readFileSync(join(home, "package.json"), "utf8")).toContain("@aves2/cli");
      const run = await sh(join(home, "node_modules/.bin/component"), ["run", "echo@1.2.0", "--set", "epochs=1"], home, {
        ...npmEnv,
        NO_COLOR: "1",
        AVES2_CACHE_DIR: tempDir("cache-"),
        AVES2_RUNS_DIR: tempDir("runs-"),
      });
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toContain("echo 1.2.0 on local");
      expect([...gate.seen, ...gate.refused]).toEqual([]);
    } finally {
      await gate.stop();
    }
  }, 240_000);
});
