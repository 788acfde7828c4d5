import { createServer, request } from "node:http";

export interface FaultProxy {
  readonly url: string;
  /** From now on answer writes (PUT, POST, DELETE) with 503, as a store that has gone read-only or down for writes. */
  refuseWrites(on: boolean): void;
  /** Requests seen, as "METHOD /path". */
  readonly seen: string[];
  stop(): Promise<void>;
}

/**
 * An HTTP proxy in front of a real server (e.g. the S3 test server) that can
 * refuse writes on demand: a failure that arrives at an exact step of a flow
 * (reads succeed, the upload after them fails), which killing the server
 * cannot time reliably.
 */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const to = new URL(target);
  let refusing = false;
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (refusing && req.method !== "GET" && req.method !== "HEAD") {
      req.resume();
      res.writeHead(503, { "content-type": "application/xml" });
      res.end("<Error><Code>ServiceUnavailable</Code><Message>writes refused by the test proxy</Message></Error>");
      return;
    }
    const up = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const a = server.address();
  const port = typeof a === "object" && a ? a.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    refuseWrites: (on) => {
      refusing = on;
    },
    seen,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
