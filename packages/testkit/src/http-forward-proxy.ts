import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import { connect, type Socket } from "node:net";

/**
 * A TEST SERVER standing in for a forward HTTP proxy such as squid (what
 * HTTP_PROXY / HTTPS_PROXY point at): it forwards absolute-form requests
 * (`GET http://host:port/path HTTP/1.1`) and opens CONNECT tunnels
 * (`CONNECT host:port`, answered `200 Connection established`, then bytes both
 * ways, as for TLS), and records each one, so a test can tell whether a client
 * went through the proxy and how. With `requireAuth` it answers 407 with
 * `Proxy-Authenticate: Basic` unless `Proxy-Authorization: Basic` carries that
 * user and password, as an authenticating squid does. A request in origin
 * form (`GET /path`, i.e. not meant for a proxy) gets 400.
 */

export interface ForwardedRequest {
  readonly kind: "plain" | "connect";
  /** plain: the absolute URL asked for; connect: `host:port`. */
  readonly target: string;
}

export interface HttpForwardProxyOptions {
  /** Require `Proxy-Authorization: Basic base64(user:pass)`; else 407. */
  readonly requireAuth?: { readonly user: string; readonly pass: string };
}

export interface HttpForwardProxy {
  /** `http://127.0.0.1:<port>`, for HTTP_PROXY / HTTPS_PROXY. */
  readonly url: string;
  /** Requests forwarded and tunnels opened, in order. */
  readonly seen: ForwardedRequest[];
  /** Requests refused with 407 (no or wrong credentials). */
  readonly refused: ForwardedRequest[];
  stop(): Promise<void>;
}

const HOP = ["connection", "keep-alive", "proxy-connection", "proxy-authorization", "proxy-authenticate", "te", "trailer", "transfer-encoding", "upgrade"];

export async function startHttpForwardProxy(opts: HttpForwardProxyOptions = {}): Promise<HttpForwardProxy> {
  const seen: ForwardedRequest[] = [];
  const refused: ForwardedRequest[] = [];
  const sockets = new Set<Socket>();
  const expected = opts.requireAuth ? `Basic ${Buffer.from(`${opts.requireAuth.user}:${opts.requireAuth.pass}`).toString("base64")}` : undefined;
  const authorized = (req: IncomingMessage) => {
    if (!expected) return true;
    const given = req.headers["proxy-authorization"];
    return typeof given === "string" && given.trim().replace(/^basic/i, "Basic") === expected;
  };
  const track = (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const target = req.url ?? "";
    if (!/^https?:\/\//i.test(target)) {
      res.writeHead(400, { "content-type": "text/plain", connection: "close" });
      res.end("this is a proxy: requests must be in absolute form (GET http://host/path)\n");
      return;
    }
    if (!authorized(req)) {
      refused.push({ kind: "plain", target });
      req.resume();
      res.writeHead(407, { "proxy-authenticate": 'Basic realm="test proxy"', "content-type": "text/plain", "content-length": 30 });
      res.end("proxy authentication required\n");
      return;
    }
    seen.push({ kind: "plain", target });
    const url = new URL(target);
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP.includes(k)) headers[k] = v;
    const te = req.headers["transfer-encoding"];
    if (te) headers["transfer-encoding"] = te;
    const up = request({ host: url.hostname, port: url.port || 80, method: req.method, path: `${url.pathname}${url.search}`, headers }, (r) => {
      const back: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(r.headers)) if (v !== undefined && !HOP.includes(k)) back[k] = v;
      if (r.headers["transfer-encoding"]) back["transfer-encoding"] = r.headers["transfer-encoding"];
      res.writeHead(r.statusCode ?? 502, r.statusMessage, back);
      r.pipe(res);
      r.on("error", () => res.destroy());
    });
    up.on("error", (e) => {
      if (res.headersSent) return res.destroy();
      res.writeHead(502, { "content-type": "text/plain", connection: "close" });
      res.end(`the proxy could not reach ${url.host}: ${e.message}\n`);
    });
    req.pipe(up);
  });

  server.on("connection", track);
  server.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => {
    const target = req.url ?? "";
    if (!authorized(req)) {
      refused.push({ kind: "connect", target });
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test proxy"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(target);
    if (!m) {
      client.end("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      return;
    }
    seen.push({ kind: "connect", target });
    let established = false;
    const upstream = connect(Number(m[2]), m[1]!.replace(/^\[|\]$/g, ""), () => {
      established = true;
      client.write("HTTP/1.1 200 Connection established\r\n\r\n");
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    track(upstream);
    upstream.on("error", () => {
      if (!established) client.end("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      else client.destroy();
    });
    client.on("error", () => upstream.destroy());
    client.on("close", () => upstream.destroy());
  });

  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const a = server.address();
  return {
    url: `http://127.0.0.1:${typeof a === "object" && a ? a.port : 0}`,
    seen,
    refused,
    stop: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
