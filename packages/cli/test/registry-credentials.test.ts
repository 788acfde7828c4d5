import { cpSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import { join } from "node:path";
import { freePort, type RegistryServer, startRegistry } from "@aves2/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURE, runCli, tempDir } from "./cli.js";

/**
 * Registry credentials on the CLI's publish and consume paths: against a
 * real npm registry (verdaccio), seen through a recording proxy, and test
 * doubles (plain node:http servers) for what verdaccio will not do — serve a
 * package document whose tarball is on another host.
 */
let registry: RegistryServer;
let root: string;

const b64 = (s: string) => Buffer.from(s).toString("base64");
/** `//127.0.0.1:port/`, the .npmrc key of a server. */
const nerf = (url: string) => url.replace(/^http:/, "");

interface Seen {
  method: string;
  path: string;
  authorization?: string;
  body: string;
}

/** A test double: answers with `handle`, or forwards to `target`; records every request with its Authorization header. */
async function recordingServer(opts: { target?: string; handle?: (req: IncomingMessage, res: ServerResponse) => void }): Promise<{ url: string; seen: Seen[]; stop(): Promise<void> }> {
  const seen: Seen[] = [];
  const to = opts.target ? new URL(opts.target) : undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method!, path: req.url!, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), body: body.toString("utf8") });
      if (opts.handle) return opts.handle(req, res);
      const up = request({ host: to!.hostname, port: to!.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on("error", () => res.destroy());
      up.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const a = server.address();
  const port = typeof a === "object" && a ? a.port : 0;
  return { url: `http://127.0.0.1:${port}/`, seen, stop: () => new Promise((r) => server.close(() => r())) };
}

function setVersion(version: string, extra: Record<string, unknown> = {}): void {
  writeFileSync(
    join(root, "components/echo/package.json"),
    JSON.stringify({ name: "@aves2-components/echo", version, license: "Apache-2.0", files: ["component.yaml", "src", "data"], ...extra }),
  );
}

function npmrc(lines: string[]): string {
  const file = join(tempDir("npmrc-"), ".npmrc");
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

/** An environment whose only npm config is this user .npmrc (and a plain registry where nothing listens). */
async function envWith(lines: string[]): Promise<Record<string, string>> {
  return {
    npm_config_registry: `http://127.0.0.1:${await freePort()}/`,
    NPM_CONFIG_USERCONFIG: npmrc(lines),
    AVES2_CACHE_DIR: tempDir("cache-"),
    AVES2_RUNS_DIR: tempDir("runs-"),
  };
}

const publishBody = (seen: Seen[]) => JSON.parse(seen.find((r) => r.method === "PUT")!.body) as { access?: string; versions: Record<string, unknown> };

beforeAll(async () => {
  registry = await startRegistry();
  root = tempDir("aves2-creds-");
  cpSync(FIXTURE, root, { recursive: true });
}, 60_000);

afterAll(async () => {
  await registry?.stop();
});

describe("publishing with npm's credentials", () => {
  it("to the scope's registry (over npm_config_registry), with _auth as Basic auth, sending access public", async () => {
    setVersion("2.0.0");
    const proxy = await recordingServer({ target: registry.url });
    try {
      const env = await envWith([`@aves2-components:registry=${proxy.url}`, `${nerf(proxy.url)}:_auth=${b64("tester:tester-password")}`]);
      const r = await runCli(["publish", "echo", "--no-build", "--json"], { cwd: root, env });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ version: "2.0.0", registry: "published", access: "public" })]);
      const put = proxy.seen.find((s) => s.method === "PUT")!;
      expect(put.authorization).toBe(`Basic ${b64("tester:tester-password")}`);
      expect(publishBody(proxy.seen).access).toBe("public");
    } finally {
      await proxy.stop();
    }
    const doc = (await (await fetch(`${registry.url}@aves2-components%2fecho`)).json()) as { versions: Record<string, unknown> };
    expect(Object.keys(doc.versions)).toContain("2.0.0");
  });

  it("username + _password; package.json publishConfig.access, and --access over it", async () => {
    const proxy = await recordingServer({ target: registry.url });
    try {
      const env = await envWith([`@aves2-components:registry=${proxy.url}`, `${nerf(proxy.url)}:username=tester`, `${nerf(proxy.url)}:_password=${b64("tester-password")}`]);
      setVersion("2.1.0", { publishConfig: { access: "restricted" } });
      const restricted = await runCli(["publish", "echo", "--no-build"], { cwd: root, env });
      expect(restricted.code, restricted.stderr).toBe(0);
      expect(proxy.seen.find((s) => s.method === "PUT")!.authorization).toBe(`Basic ${b64("tester:tester-password")}`);
      expect(publishBody(proxy.seen).access).toBe("restricted");

      proxy.seen.length = 0;
      setVersion("2.2.0", { publishConfig: { access: "restricted" } });
      const flag = await runCli(["publish", "echo", "--no-build", "--access", "public"], { cwd: root, env });
      expect(flag.code, flag.stderr).toBe(0);
      expect(publishBody(proxy.seen).access).toBe("public");

      const wrong = await runCli(["publish", "echo", "--no-build", "--access", "secret"], { cwd: root, env });
      expect(wrong.code).not.toBe(0);
      expect(wrong.stderr).toMatch(/--access.*secret.*(public|restricted)/);
    } finally {
      await proxy.stop();
    }
  });

  it("a refused token or password never reaches the output", async () => {
    setVersion("2.3.0");
    const token = "wrong-token-5e7f9a";
    const r = await runCli(["publish", "echo", "--no-build", "--registry", registry.url], { cwd: root, env: await envWith([`${nerf(registry.url)}:_authToken=${token}`]) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refused to publish @aves2-components\/echo@2\.3\.0 \(40[13].*the token for \/\/127\.0\.0\.1:\d+\/ in .*\.npmrc is wrong, expired, or lacks the rights to publish/);
    expect(r.stdout + r.stderr).not.toContain(token);
    const password = "wrong-password-1c3d";
    const basic = await runCli(["publish", "echo", "--no-build", "--registry", registry.url], {
      cwd: root,
      env: await envWith([`${nerf(registry.url)}:_auth=${b64(`tester:${password}`)}`]),
    });
    expect(basic.code).toBe(2);
    expect(basic.stderr).toMatch(/refused to publish .*the user and password for/);
    expect(basic.stdout + basic.stderr).not.toContain(password);
    expect(basic.stdout + basic.stderr).not.toContain(b64(`tester:${password}`));
  });
});

describe("consuming: the registry's token stays with the registry", () => {
  it("a package document pointing its tarball at another host: that host gets no Authorization header", async () => {
    // the real package document and tarball, served by two test doubles on two ports
    const doc = (await (await fetch(`${registry.url}@aves2-components%2fecho`)).json()) as { versions: Record<string, { dist: { tarball: string } }> };
    const bytes = Buffer.from(await (await fetch(doc.versions["2.0.0"]!.dist.tarball)).arrayBuffer());
    const tarballHost = await recordingServer({
      handle: (_req, res) => {
        res.writeHead(200, { "content-type": "application/octet-stream" });
        res.end(bytes);
      },
    });
    const moved = { ...doc, versions: Object.fromEntries(Object.entries(doc.versions).map(([v, d]) => [v, { ...d, dist: { ...d.dist, tarball: `${tarballHost.url}echo-${v}.tgz` } }])) };
    const registryDouble = await recordingServer({
      handle: (_req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(moved));
      },
    });
    const token = "registry-token-8b2c4d";
    try {
      const r = await runCli(["info", "echo@2.0.0", "--registry", registryDouble.url, "--json"], {
        cwd: tempDir(),
        env: await envWith([`${nerf(registryDouble.url)}:_authToken=${token}`]),
      });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ name: "echo", version: "2.0.0" });
      expect(registryDouble.seen.map((s) => s.authorization)).toEqual([`Bearer ${token}`]);
      expect(tarballHost.seen).toEqual([expect.objectContaining({ method: "GET", path: "/echo-2.0.0.tgz" })]);
      expect(tarballHost.seen[0]!.authorization).toBeUndefined();
      expect(r.stdout + r.stderr).not.toContain(token);
    } finally {
      await Promise.all([tarballHost.stop(), registryDouble.stop()]);
    }
  });
});
