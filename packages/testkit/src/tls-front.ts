import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type TLSSocket } from "node:tls";

/**
 * A TEST SERVER that puts TLS in front of a plain HTTP test server, as a load
 * balancer or ingress does in front of a real S3 / MinIO / registry: it
 * terminates TLS on 127.0.0.1 with a self-signed certificate made at start
 * (openssl, CN=localhost, subjectAltName IP:127.0.0.1 and DNS:localhost) and
 * passes the bytes on to `target` over TCP. A client trusts it only when told
 * to (caFile, e.g. AWS_CA_BUNDLE or NODE_EXTRA_CA_CERTS), as with a private CA.
 */

export interface TlsFrontOptions {
  /** The certificate's subjectAltName (default `IP:127.0.0.1,DNS:localhost`). */
  readonly subjectAltName?: string;
  /** Days the certificate is valid (default 2). */
  readonly days?: number;
}

export interface TlsFront {
  /** `https://127.0.0.1:<port>`. */
  readonly endpoint: string;
  readonly port: number;
  /** The self-signed certificate (PEM), to trust: it is its own CA. */
  readonly caFile: string;
  /** Its key (PEM). */
  readonly keyFile: string;
  /** TLS handshakes completed so far (connections a client did not reuse). */
  connections(): number;
  stop(): Promise<void>;
}

/** A self-signed certificate and key made by the openssl CLI in `dir`. */
export function selfSignedCertificate(dir: string, opts: TlsFrontOptions = {}): { certFile: string; keyFile: string } {
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  execFileSync(
    "openssl",
    [
      "req", "-x509", "-newkey", "rsa:2048", "-nodes",
      "-keyout", keyFile, "-out", certFile,
      "-days", String(opts.days ?? 2),
      "-subj", "/CN=localhost",
      "-addext", `subjectAltName=${opts.subjectAltName ?? "IP:127.0.0.1,DNS:localhost"}`,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  return { certFile, keyFile };
}

/** `target`: the plain server, `http://127.0.0.1:<port>` or `127.0.0.1:<port>`. */
export async function startTlsFront(target: string, opts: TlsFrontOptions = {}): Promise<TlsFront> {
  const to = new URL(/^[a-z]+:\/\//i.test(target) ? target : `http://${target}`);
  const dir = mkdtempSync(join(tmpdir(), "aves2-tls-front-"));
  const { certFile, keyFile } = selfSignedCertificate(dir, opts);
  const sockets = new Set<Socket>();
  let handshakes = 0;
  const server = createServer({ key: readFileSync(keyFile), cert: readFileSync(certFile) }, (tls: TLSSocket) => {
    handshakes++;
    const plain = connect(Number(to.port || 80), to.hostname);
    sockets.add(plain);
    plain.on("close", () => sockets.delete(plain));
    tls.pipe(plain);
    plain.pipe(tls);
    tls.on("error", () => plain.destroy());
    plain.on("error", () => tls.destroy());
    tls.on("close", () => plain.destroy());
    plain.on("close", () => tls.destroy());
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  // a client that refuses the certificate aborts the handshake: not an error of the server
  server.on("tlsClientError", () => undefined);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const a = server.address();
  const port = typeof a === "object" && a ? a.port : 0;
  return {
    endpoint: `https://127.0.0.1:${port}`,
    port,
    caFile: certFile,
    keyFile,
    connections: () => handshakes,
    stop: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          r();
        });
      }),
  };
}
