import { connect as netConnect, isIP, type Socket } from "node:net";
import { type ConnectionOptions, connect as tlsConnect } from "node:tls";
import { objectUrl, queryString, s3Error, sign, type WireTarget } from "./wire.js";

/**
 * Every read from S3 (GETs of objects and ranges, HEADs, listings) goes
 * straight over keep-alive sockets that read into one reused buffer per
 * socket (net's `onread`), each piece handed to the caller synchronously, to
 * be written and hashed before the next read.
 *
 * Why not the AWS SDK: loading it costs a CLI command about 150 ms before its
 * first request, more than a listing and a HEAD take. It is loaded only for
 * the few requests off the transfer path that remain its own (connection.ts).
 *
 * Why not node's http client: it allocates a fresh 64 KiB buffer for every
 * read and passes each through a parser and a stream. On a 512 MB download
 * that plumbing and the garbage it made cost more CPU than the download's MD5,
 * and on two cores shared with the server that was the whole gap to aws-cli.
 *
 * The reader speaks just what a GET or HEAD answer needs of HTTP/1.1: a status
 * line, headers, then a body framed by Content-Length (what S3 servers send),
 * chunked transfer coding, or the connection's end.
 */

export interface ObjectRead {
  readonly method?: "GET" | "HEAD";
  readonly bucket: string;
  /** "" for the bucket itself (a listing). */
  readonly key: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface GetHead {
  readonly status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
}

export interface GetSink {
  /** The answer is a success and its body follows; throwing here drops the body (the socket is closed). */
  head?(head: GetHead): void;
  /** The next piece of the body: a view of a reused buffer, valid only during this call. */
  data(piece: Buffer): void;
}

/** Sockets idle this long are not reused: servers close idle keep-alive connections after a few seconds (node's default is 5). */
const REUSE_WITHIN_MS = 4_000;
/** A server that accepts nothing in this long is treated as down (the request is retried). */
const CONNECT_MS = 5_000;
/** A request that hears nothing for this long is given up (and retried). */
const IDLE_MS = 120_000;
const READ_BUFFER = 256 * 1024;
/** Status line and headers larger than this are not an S3 answer. */
const MAX_HEAD = 64 * 1024;
/** What is kept of an error answer's body (its XML names the error). */
const MAX_ERROR_BODY = 16 * 1024;

function netError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** tls.connect takes `onread` since node 15, though its typings do not say so. */
function tlsOptions(options: ConnectionOptions, onread: object): ConnectionOptions {
  return Object.assign(options, { onread });
}

/** What reads one answer off a socket: the socket hands it every piece it reads. */
interface Reader {
  read(buf: Buffer): void;
  /** The socket ended or failed before the answer was complete. */
  fail(e: Error): void;
}

/** A keep-alive connection, reading into its own buffer. */
class Connection {
  reader: Reader | undefined;
  idleSince = 0;
  /** Bytes of any answer seen on it: a reused socket that fails before any may be retried at once. */
  answered = false;
  private closed = false;
  readonly socket: Socket;

  constructor(origin: URL, ca: readonly string[] | undefined, onGone: (c: Connection) => void) {
    const buffer = Buffer.allocUnsafe(READ_BUFFER);
    const onread = {
      buffer,
      callback: (n: number) => {
        this.answered = true;
        if (this.reader) this.reader.read(buffer.subarray(0, n));
        else this.socket.destroy(); // bytes nobody asked for: the connection is out of step
        return true;
      },
    };
    const port = Number(origin.port) || (origin.protocol === "https:" ? 443 : 80);
    const host = origin.hostname.replace(/^\[|\]$/g, "");
    this.socket =
      origin.protocol === "https:"
        ? tlsConnect(tlsOptions({ host, port, ...(isIP(host) ? {} : { servername: host }), ...(ca ? { ca: [...ca] } : {}), ALPNProtocols: ["http/1.1"] }, onread))
        : netConnect({ host, port, onread });
    this.socket.setNoDelay(true);
    let connected = false;
    this.socket.setTimeout(CONNECT_MS);
    this.socket.once(origin.protocol === "https:" ? "secureConnect" : "connect", () => {
      connected = true;
      this.socket.setTimeout(IDLE_MS);
    });
    this.socket.on("timeout", () =>
      this.socket.destroy(
        connected ? netError(`no answer in ${IDLE_MS / 1000} s`, "ETIMEDOUT") : netError(`could not connect to ${origin.host} in ${CONNECT_MS / 1000} s`, "ETIMEDOUT"),
      ),
    );
    const gone = (e?: Error) => {
      if (this.closed) return;
      this.closed = true;
      onGone(this);
      this.reader?.fail(e ?? netError("the server closed the connection", "ECONNRESET"));
    };
    this.socket.on("error", gone);
    this.socket.on("close", () => gone());
    this.socket.on("end", () => {
      // a body framed by the connection's end is complete now
      this.reader?.fail(netError("the server closed the connection", "ECONNRESET"));
      this.socket.destroy();
    });
  }

  get usable(): boolean {
    return !this.closed && !this.socket.destroyed && Date.now() - this.idleSince < REUSE_WITHIN_MS;
  }
}

/** Idle connections per origin. Idle sockets do not keep the process alive. */
export class SocketPool {
  private readonly idle = new Map<string, Connection[]>();

  /** `ca`: the certificates an https endpoint's may chain to (node's own when absent). */
  constructor(private readonly ca?: readonly string[]) {}

  /** An idle connection to `origin` (unless `fresh`), or a new one. */
  take(origin: URL, fresh = false): { conn: Connection; reused: boolean } {
    const list = fresh ? undefined : this.idle.get(origin.origin);
    for (let c = list?.pop(); c; c = list?.pop()) {
      if (!c.usable) {
        c.socket.destroy();
        continue;
      }
      c.socket.ref();
      c.answered = false;
      return { conn: c, reused: true };
    }
    return { conn: new Connection(origin, this.ca, (c) => this.forget(origin.origin, c)), reused: false };
  }

  give(origin: URL, c: Connection): void {
    c.reader = undefined;
    c.idleSince = Date.now();
    c.socket.unref();
    const list = this.idle.get(origin.origin) ?? [];
    list.push(c);
    this.idle.set(origin.origin, list);
  }

  private forget(origin: string, c: Connection): void {
    const list = this.idle.get(origin);
    const at = list?.indexOf(c) ?? -1;
    if (at >= 0) list!.splice(at, 1);
  }

  /** Closes the idle connections. */
  close(): void {
    for (const list of this.idle.values()) for (const c of list) c.socket.destroy();
    this.idle.clear();
  }
}

type Framing = { kind: "length"; left: number } | { kind: "chunked"; left: number; state: "size" | "data" | "data-end" | "trailers"; line: string } | { kind: "close" };

/**
 * Parses one answer from the pieces a socket reads. Body bytes of a success
 * go to the sink; an error answer's body is kept to be explained.
 */
class AnswerReader implements Reader {
  private headBytes: Buffer[] = [];
  private headLength = 0;
  private head: GetHead | undefined;
  private framing: Framing | undefined;
  private errorBody = "";
  keepAlive = false;

  constructor(
    private readonly sink: GetSink,
    /** A HEAD's answer has headers only, whatever its Content-Length says. */
    private readonly headOnly: boolean,
    private readonly done: (result: { head: GetHead } | { error: Error }) => void,
  ) {}

  read(buf: Buffer): void {
    try {
      let rest = this.head ? buf : this.readHead(buf);
      while (rest && rest.length > 0 && this.framing) rest = this.readBody(rest);
    } catch (e) {
      this.finish({ error: e as Error });
    }
  }

  fail(e: Error): void {
    if (this.framing?.kind === "close") this.complete();
    else this.finish({ error: e });
  }

  private finished = false;
  private finish(result: { head: GetHead } | { error: Error }): void {
    if (this.finished) return;
    this.finished = true;
    this.framing = undefined;
    this.done(result);
  }

  /** Returns what follows the head in `buf`, or undefined while the head is incomplete. */
  private readHead(buf: Buffer): Buffer | undefined {
    // the piece is a view of a reused buffer: keep a copy until the head is whole
    this.headBytes.push(Buffer.from(buf));
    this.headLength += buf.length;
    const all = this.headBytes.length === 1 ? this.headBytes[0]! : Buffer.concat(this.headBytes);
    this.headBytes = [all];
    const end = all.indexOf("\r\n\r\n");
    if (end < 0) {
      if (this.headLength > MAX_HEAD) throw netError("the server's answer has no end of headers", "ECONNRESET");
      return undefined;
    }
    const lines = all.subarray(0, end).toString("latin1").split("\r\n");
    const status = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? "");
    if (!status) throw netError(`the server answered "${(lines[0] ?? "").slice(0, 40)}", not HTTP/1.1`, "ECONNRESET");
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    const code = Number(status[2]);
    const rest = all.subarray(end + 4);
    this.headBytes = [];
    this.headLength = 0;
    if (code >= 100 && code < 200) return this.readHead(rest); // an interim answer: the real one follows
    this.head = { status: code, headers };
    const connection = (headers.connection ?? "").toLowerCase();
    this.keepAlive = status[1] === "1" ? !connection.includes("close") : connection.includes("keep-alive");
    if (this.headOnly) this.framing = { kind: "length", left: 0 };
    else if (/chunked/i.test(headers["transfer-encoding"] ?? "")) this.framing = { kind: "chunked", left: 0, state: "size", line: "" };
    else if (headers["content-length"] !== undefined) this.framing = { kind: "length", left: Number(headers["content-length"]) };
    else {
      this.framing = { kind: "close" };
      this.keepAlive = false;
    }
    if (this.ok) this.sink.head?.(this.head);
    if (this.framing.kind === "length" && this.framing.left === 0) this.complete();
    return rest;
  }

  private get ok(): boolean {
    return this.head !== undefined && this.head.status >= 200 && this.head.status < 300;
  }

  private deliver(piece: Buffer): void {
    if (this.ok) this.sink.data(piece);
    else if (this.errorBody.length < MAX_ERROR_BODY) this.errorBody += piece.toString("utf8");
  }

  private complete(): void {
    const head = this.head!;
    if (this.ok) this.finish({ head });
    else this.finish({ error: s3Error(head.status, this.errorBody) });
  }

  /** Consumes body bytes from `buf`; returns what is left over. */
  private readBody(buf: Buffer): Buffer | undefined {
    const f = this.framing!;
    if (f.kind === "close") {
      this.deliver(buf);
      return undefined;
    }
    if (f.kind === "length") {
      const take = Math.min(f.left, buf.length);
      this.deliver(buf.subarray(0, take));
      f.left -= take;
      if (f.left === 0) {
        if (take < buf.length) this.keepAlive = false; // bytes after the answer: the connection is out of step
        this.complete();
      }
      return undefined;
    }
    return this.readChunked(f, buf);
  }

  private readChunked(f: Extract<Framing, { kind: "chunked" }>, buf: Buffer): Buffer | undefined {
    if (f.state === "data") {
      const take = Math.min(f.left, buf.length);
      this.deliver(buf.subarray(0, take));
      f.left -= take;
      if (f.left === 0) f.state = "data-end";
      return buf.subarray(take);
    }
    // a line: a chunk's size, the CRLF after its data, or a trailer (an empty one ends the body)
    const nl = buf.indexOf(10);
    if (nl < 0) {
      f.line += buf.toString("latin1");
      if (f.line.length > 4096) throw netError("a chunked answer has a malformed chunk line", "ECONNRESET");
      return undefined;
    }
    const line = (f.line + buf.subarray(0, nl).toString("latin1")).replace(/\r$/, "");
    f.line = "";
    if (f.state === "data-end") f.state = "size";
    else if (f.state === "size") {
      const size = Number.parseInt(line.split(";")[0]!.trim(), 16);
      if (!Number.isFinite(size) || size < 0) throw netError(`a chunked answer has a malformed chunk size "${line.slice(0, 20)}"`, "ECONNRESET");
      f.left = size;
      f.state = size === 0 ? "trailers" : "data";
    } else if (line === "") {
      if (nl + 1 < buf.length) this.keepAlive = false;
      this.complete();
      return undefined;
    }
    return buf.subarray(nl + 1);
  }
}

/**
 * Sends a GET (of an object, a range, a listing) or a HEAD, signed with SigV4.
 * Resolves with the status and headers once the whole body went to the sink;
 * rejects with an S3-shaped error (see wire.ts) for an error answer, or a
 * connection error with a `code` retry.ts knows.
 */
export async function readObject(target: WireTarget, r: ObjectRead, sink: GetSink): Promise<GetHead> {
  const method = r.method ?? "GET";
  const { url, path } = objectUrl(target.settings, r.bucket, r.key);
  const query = r.query ?? {};
  const signed = sign(method, url.host, path, query, { ...r.headers }, await target.credentials(), target.settings.region);
  const request = `${method} ${path}${queryString(query)} HTTP/1.1\r\n${Object.entries(signed)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("")}\r\n`;
  for (let fresh = false; ; fresh = true) {
    const { conn, reused } = target.sockets.take(url, fresh);
    try {
      return await exchange(target.sockets, url, conn, request, sink, method === "HEAD");
    } catch (e) {
      // a kept-alive socket the server had closed just before we wrote to it: the request never
      // reached the server, so it goes again on a new socket at once rather than after a backoff
      if (!reused || conn.answered || fresh) throw e;
    }
  }
}

function exchange(pool: SocketPool, origin: URL, conn: Connection, request: string, sink: GetSink, headOnly: boolean): Promise<GetHead> {
  return new Promise<GetHead>((resolve, reject) => {
    const reader = new AnswerReader(sink, headOnly, (result) => {
      if ("error" in result || !reader.keepAlive) {
        conn.reader = undefined;
        conn.socket.destroy();
      } else pool.give(origin, conn);
      if ("error" in result) reject(result.error);
      else resolve(result.head);
    });
    conn.reader = reader;
    conn.socket.write(request);
  });
}

/** The whole body of a (small) answer: a listing, a catalog's index. */
export async function readBytes(target: WireTarget, r: ObjectRead): Promise<{ head: GetHead; body: Buffer }> {
  const pieces: Buffer[] = [];
  const head = await readObject(target, r, { data: (p) => pieces.push(Buffer.from(p)) });
  return { head, body: Buffer.concat(pieces) };
}
