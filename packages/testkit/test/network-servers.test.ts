import { readFileSync } from "node:fs";
import { createServer, get, type IncomingMessage, request, type Server } from "node:http";
import { get as httpsGet } from "node:https";
import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHttpForwardProxy } from "../src/http-forward-proxy.js";
import { startMalformedHttpServer } from "../src/malformed-http-server.js";
import { startTlsFront } from "../src/tls-front.js";

let origin: Server;
let originPort: number;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  origin = createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/plain", "x-seen-host": req.headers.host ?? "" });
    res.end(`origin saw ${req.method} ${req.url}`);
  });
  await new Promise<void>((r) => origin.listen(0, "127.0.0.1", r));
  originPort = (origin.address() as { port: number }).port;
});

afterAll(async () => {
  for (const stop of stops) await stop();
  origin.closeAllConnections();
  await new Promise((r) => origin.close(r));
});

function text(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = "";
    res.setEncoding("utf8");
    res.on("data", (d) => (s += d));
    res.on("end", () => resolve(s));
    res.on("error", reject);
  });
}

/** GET through the proxy in absolute form, as HTTP_PROXY clients send it. */
function viaProxy(proxyUrl: string, target: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const p = new URL(proxyUrl);
  return new Promise((resolve, reject) => {
    get({ host: p.hostname, port: p.port, path: target, headers: { host: new URL(target).host, ...headers } }, (res) => {
      text(res).then((body) => resolve({ status: res.statusCode ?? 0, body }), reject);
    }).on("error", reject);
  });
}

/** CONNECT host:port through the proxy; resolves with the status and, on 200, the tunnel. */
function connectVia(proxyUrl: string, target: string, headers: Record<string, string> = {}): Promise<{ status: number; socket: Socket }> {
  const p = new URL(proxyUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: p.hostname, port: p.port, method: "CONNECT", path: target, headers });
    req.on("connect", (res, socket) => resolve({ status: res.statusCode ?? 0, socket }));
    req.on("response", (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, socket: res.socket });
    });
    req.on("error", reject);
    req.end();
  });
}

function rawExchange(socket: Socket, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    let s = "";
    socket.setEncoding("utf8");
    socket.on("data", (d) => (s += d));
    socket.on("end", () => resolve(s));
    socket.on("close", () => resolve(s));
    socket.write(bytes);
  });
}

describe("startHttpForwardProxy", () => {
  it("forwards absolute-form requests and tunnels CONNECT, recording both", async () => {
    const proxy = await startHttpForwardProxy();
    stops.push(proxy.stop);
    const target = `http://127.0.0.1:${originPort}/some/path?q=1`;
    expect(await viaProxy(proxy.url, target)).toEqual({ status: 200, body: "origin saw GET /some/path?q=1" });

    const tunnel = await connectVia(proxy.url, `127.0.0.1:${originPort}`);
    expect(tunnel.status).toBe(200);
    const answer = await rawExchange(tunnel.socket, "GET /through/tunnel HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*origin saw GET \/through\/tunnel\r\n/);

    expect(proxy.seen).toEqual([
      { kind: "plain", target },
      { kind: "connect", target: `127.0.0.1:${originPort}` },
    ]);
  });

  it("asks for Basic credentials with 407 when it requires them", async () => {
    const proxy = await startHttpForwardProxy({ requireAuth: { user: "squid", pass: "s3cret" } });
    stops.push(proxy.stop);
    const target = `http://127.0.0.1:${originPort}/x`;
    expect((await viaProxy(proxy.url, target)).status).toBe(407);
    expect((await connectVia(proxy.url, `127.0.0.1:${originPort}`)).status).toBe(407);
    const auth = { "proxy-authorization": `Basic ${Buffer.from("squid:s3cret").toString("base64")}` };
    expect((await viaProxy(proxy.url, target, auth)).status).toBe(200);
    const tunnel = await connectVia(proxy.url, `127.0.0.1:${originPort}`, auth);
    expect(tunnel.status).toBe(200);
    tunnel.socket.destroy();
    expect(proxy.seen.map((s) => s.kind)).toEqual(["plain", "connect"]);
    expect(proxy.refused.map((s) => s.kind)).toEqual(["plain", "connect"]);
  });
});

describe("startTlsFront", () => {
  it("serves the plain server over TLS with a certificate trusted only through caFile", async () => {
    const front = await startTlsFront(`http://127.0.0.1:${originPort}`);
    stops.push(front.stop);
    expect(front.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = readFileSync(front.caFile);
    const body = await new Promise<string>((resolve, reject) => {
      httpsGet(`${front.endpoint}/over/tls`, { ca }, (res) => text(res).then(resolve, reject)).on("error", reject);
    });
    expect(body).toBe("origin saw GET /over/tls");
    const viaName = await new Promise<string>((resolve, reject) => {
      httpsGet({ host: "127.0.0.1", servername: "localhost", port: front.port, path: "/by/name", ca, headers: { host: "localhost" } }, (res) => text(res).then(resolve, reject)).on("error", reject);
    });
    expect(viaName).toBe("origin saw GET /by/name");
    const untrusted = await new Promise<unknown>((resolve) => {
      httpsGet(`${front.endpoint}/`, (res) => resolve(res.statusCode)).on("error", resolve);
    });
    expect(untrusted).toMatchObject({ code: "DEPTH_ZERO_SELF_SIGNED_CERT" });
  });
});

describe("startMalformedHttpServer", () => {
  it("answers each request with the next scripted bytes, after skipping its body", async () => {
    const server = await startMalformedHttpServer([
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
      { bytes: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", close: true },
      { bytes: Buffer.from("SSH-2.0-OpenSSH_9.6\r\n"), close: true },
    ]);
    stops.push(server.stop);
    const u = new URL(server.url);
    const fetchOnce = (method: string, body?: string) =>
      new Promise<{ status: number; body: string } | { error: string }>((resolve) => {
        const req = request({ host: u.hostname, port: u.port, method, path: "/p", agent: false }, (res) => {
          text(res).then(
            (b) => resolve({ status: res.statusCode ?? 0, body: b }),
            (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }),
          );
        });
        req.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
        req.end(body);
      });
    expect(await fetchOnce("PUT", "a body to skip")).toEqual({ status: 200, body: "ok" });
    // node refuses two Content-Lengths that disagree
    expect(await fetchOnce("GET")).toEqual({ error: "HPE_UNEXPECTED_CONTENT_LENGTH" });
    expect(await fetchOnce("GET")).toMatchObject({ error: expect.stringMatching(/^HPE_/) });
    expect(server.requests).toHaveLength(3);
    expect(server.requests[0]).toMatch(/^PUT \/p HTTP\/1\.1\r\n/);
    expect(server.requests[0]).toMatch(/\r\ncontent-length: 14$|\r\nContent-Length: 14\r?\n?/i);
  });
});
