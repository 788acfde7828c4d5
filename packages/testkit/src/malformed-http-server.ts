import { createServer, type Socket } from "node:net";

/**
 * A TEST SERVER that answers HTTP requests with scripted raw bytes, for testing
 * how strictly a client parses responses, with the answers broken servers,
 * proxies and attackers send and a well-behaved server never does: two
 * Content-Length headers that disagree, CR/LF injected into a header value, a
 * 204 with no length, a body longer than its Content-Length, an answer that is
 * not HTTP at all. It reads each request up to its blank line, skips its body
 * (Content-Length or chunked), then writes the next answer of the script, in
 * order across all connections, and closes the connection when the answer says
 * so (or when the script has run out, without answering).
 */

export type MalformedAnswer =
  | string
  | Buffer
  | {
      readonly bytes: string | Buffer;
      /** Close the connection after writing it (default false: keep reading requests on it). */
      readonly close?: boolean;
      /** Wait this long before answering. */
      readonly delayMs?: number;
    };

export interface MalformedHttpServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** The head of every request read (request line and headers, CRLF-separated, no blank line). */
  readonly requests: string[];
  stop(): Promise<void>;
}

export async function startMalformedHttpServer(answers: readonly MalformedAnswer[]): Promise<MalformedHttpServer> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  let next = 0;

  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    let buf = Buffer.alloc(0);
    /** Reading a request's head, or skipping its body: bytes left, or a chunked body. */
    let state: "head" | "chunked" | number = "head";
    let busy = false;
    let closed = false;

    const answer = () => {
      const a = answers[next++];
      if (a === undefined) {
        closed = true;
        socket.destroy();
        return;
      }
      const { bytes, close = false, delayMs = 0 } = typeof a === "string" || Buffer.isBuffer(a) ? { bytes: a } : a;
      const write = () => {
        if (socket.destroyed) return;
        if (close) {
          closed = true;
          socket.end(bytes);
        } else socket.write(bytes);
      };
      if (!delayMs) return write();
      busy = true;
      setTimeout(() => {
        write();
        busy = false;
        pump();
      }, delayMs);
    };

    const pump = () => {
      while (!busy && !closed && !socket.destroyed) {
        if (state === "head") {
          const end = buf.indexOf("\r\n\r\n");
          if (end < 0) return;
          const head = buf.toString("latin1", 0, end);
          buf = buf.subarray(end + 4);
          requests.push(head);
          const length = /^content-length:[ \t]*(\d+)[ \t]*$/im.exec(head);
          if (/^transfer-encoding:.*chunked/im.test(head)) state = "chunked";
          else if (length && Number(length[1]) > 0) state = Number(length[1]);
          else answer();
        } else if (state === "chunked") {
          // size line, data, CRLF; a 0 chunk ends the body, after optional trailers and a blank line
          const eol = buf.indexOf("\r\n");
          if (eol < 0) return;
          const size = Number.parseInt(buf.toString("latin1", 0, eol).split(";")[0]!.trim(), 16) || 0;
          if (size > 0) {
            if (buf.length < eol + 2 + size + 2) return;
            buf = buf.subarray(eol + 2 + size + 2);
            continue;
          }
          const end = buf.indexOf("\r\n\r\n", eol);
          if (end < 0) return;
          buf = buf.subarray(end + 4);
          state = "head";
          answer();
        } else {
          const n = Math.min(state, buf.length);
          buf = buf.subarray(n);
          state -= n;
          if (state > 0) return;
          state = "head";
          answer();
        }
      }
    };
    socket.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      pump();
    });
  });

  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const a = server.address();
  const port = typeof a === "object" && a ? a.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    stop: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
