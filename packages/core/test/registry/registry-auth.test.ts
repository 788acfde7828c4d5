import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.js";
import { configFrom } from "../../src/registry/npm-config.js";
import { NpmRegistry } from "../../src/registry/npm-registry.js";
import { Npmrc } from "../../src/registry/npmrc.js";

/**
 * Test doubles, not registries: plain node:http servers that answer a few
 * fixed paths and record the Authorization header of every request, so a
 * test can see which host was sent which credential.
 */
interface RecordingServer {
  readonly url: string;
  readonly seen: { method: string; path: string; authorization?: string; body: string }[];
  stop(): Promise<void>;
}

async function recordingServer(handle: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<RecordingServer> {
  const seen: RecordingServer["seen"] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      seen.push({ method: req.method!, path: req.url!, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), body });
      handle(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const a = server.address();
  const port = typeof a === "object" && a ? a.port : 0;
  return { url: `http://127.0.0.1:${port}/`, seen, stop: () => new Promise((r) => server.close(() => r())) };
}

const TARBALL = Buffer.from("the tarball's bytes");
const REGISTRY_TOKEN = "registry-secret-token-1234";

/** The registry double: a package document whose tarballs are on the tarball host, or on itself, or redirect there. */
let registry: RecordingServer;
/** A second host (another port) serving tarballs. */
let tarballs: RecordingServer;

beforeAll(async () => {
  tarballs = await recordingServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/octet-stream" });
    res.end(TARBALL);
  });
  registry = await recordingServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.url === "/echo") {
      return send(200, {
        name: "echo",
        versions: {
          "1.0.0": { version: "1.0.0", dist: { tarball: `${tarballs.url}echo/-/echo-1.0.0.tgz`, shasum: "x" } },
          "1.1.0": { version: "1.1.0", dist: { tarball: `${registry.url}echo/-/echo-1.1.0.tgz`, shasum: "x" } },
        },
      });
    }
    if (req.url === "/echo/-/echo-1.1.0.tgz") {
      res.writeHead(200);
      return res.end(TARBALL);
    }
    if (req.url === "/moved/echo-1.2.0.tgz") {
      res.writeHead(302, { location: `${tarballs.url}echo/-/echo-1.2.0.tgz` });
      return res.end();
    }
    if (req.url === "/echoes-the-token") return send(401, { error: `bad credentials: ${req.headers.authorization}` });
    if (req.method === "PUT") return send(201, { ok: true });
    send(404, { error: "not found" });
  });
}, 30_000);

afterAll(async () => {
  await Promise.all([registry?.stop(), tarballs?.stop()]);
});

function client(lines: string[]): NpmRegistry {
  return new NpmRegistry(configFrom(Npmrc.of({ file: "/home/u/.npmrc", text: lines.join("\n") }), { flag: registry.url }));
}

const key = () => registry.url.replace(/^http:/, "");
const auth = (server: RecordingServer, path: string) => server.seen.filter((r) => r.path === path).map((r) => r.authorization ?? "(none)");

describe("the registry's credential goes to the registry only", () => {
  it("a package document pointing its tarball at another host: the registry gets the token, the tarball host nothing", async () => {
    const npm = client([`${key()}:_authToken=${REGISTRY_TOKEN}`]);
    const doc = await npm.packument("echo");
    expect(await npm.download(doc!.versions["1.0.0"]!.dist.tarball)).toEqual(TARBALL);
    expect(auth(registry, "/echo")).toEqual([`Bearer ${REGISTRY_TOKEN}`]);
    expect(auth(tarballs, "/echo/-/echo-1.0.0.tgz")).toEqual(["(none)"]);
    // a tarball on the registry itself does get it
    await npm.download(doc!.versions["1.1.0"]!.dist.tarball);
    expect(auth(registry, "/echo/-/echo-1.1.0.tgz")).toEqual([`Bearer ${REGISTRY_TOKEN}`]);
  });

  it("nor through a redirect: the hop to the other host is sent without it", async () => {
    const npm = client([`${key()}:_authToken=${REGISTRY_TOKEN}`]);
    expect(await npm.download(`${registry.url}moved/echo-1.2.0.tgz`)).toEqual(TARBALL);
    expect(auth(registry, "/moved/echo-1.2.0.tgz")).toEqual([`Bearer ${REGISTRY_TOKEN}`]);
    expect(auth(tarballs, "/echo/-/echo-1.2.0.tgz")).toEqual(["(none)"]);
  });

  it("a tarball host with its own credential in .npmrc gets that one", async () => {
    const npm = client([`${key()}:_authToken=${REGISTRY_TOKEN}`, `${tarballs.url.replace(/^http:/, "")}:_authToken=tarball-host-token`]);
    await npm.download(`${tarballs.url}own/echo-1.0.0.tgz`);
    expect(auth(tarballs, "/own/echo-1.0.0.tgz")).toEqual(["Bearer tarball-host-token"]);
  });

  it("_auth is sent as Basic auth", async () => {
    const basic = Buffer.from("ann:pass-word").toString("base64");
    await client([`${key()}:_auth=${basic}`]).download(`${registry.url}echo/-/echo-1.1.0.tgz`);
    expect(auth(registry, "/echo/-/echo-1.1.0.tgz").at(-1)).toBe(`Basic ${basic}`);
  });

  it("always-auth without credentials sends nothing and says what to add", async () => {
    const before = registry.seen.length;
    const e = await client(["always-auth=true"]).packument("echo").catch((err: unknown) => err);
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).toMatch(/always-auth is set for the registry http:\/\/127\.0\.0\.1:\d+\/, but \.npmrc has no credentials for it \(add \/\/127\.0\.0\.1:\d+\/:_authToken=/);
    expect(registry.seen.length).toBe(before);
  });

  it("an error never shows the secret, even when the server echoes it", async () => {
    const e = await client([`${key()}:_authToken=${REGISTRY_TOKEN}`]).download(`${registry.url}echoes-the-token`).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).toMatch(/refused to download .* \(401: bad credentials: Bearer \*\*\*\) \(the token for \/\/127\.0\.0\.1:\d+\/ in \/home\/u\/\.npmrc is wrong, expired/);
    expect((e as Error).message).not.toContain(REGISTRY_TOKEN);
  });
});

describe("the publish document", () => {
  it("carries access, which npm's registry reads to make a scoped package public", async () => {
    const npm = client([`${key()}:_authToken=${REGISTRY_TOKEN}`]);
    await npm.publish({ name: "@aves2-components/echo", version: "1.0.0" }, TARBALL, { integrity: "sha512-x", shasum: "x" }, "public");
    const put = registry.seen.filter((r) => r.method === "PUT").at(-1)!;
    expect(put.path).toBe("/@aves2-components%2Fecho");
    expect(put.authorization).toBe(`Bearer ${REGISTRY_TOKEN}`);
    expect(JSON.parse(put.body)).toMatchObject({ name: "@aves2-components/echo", access: "public" });
  });
});
