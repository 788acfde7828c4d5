import { createServer as createTcpServer, type Server as TcpServer, type Socket } from "node:net";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";

/**
 * Test doubles of the places the AWS SDK's credential chain asks on a cloud
 * machine: the container credentials endpoint (ECS, EKS Pod Identity), the
 * EC2 instance metadata service (IMDSv2) and STS for web identity (EKS IRSA).
 * Plain node:http servers on 127.0.0.1, speaking the wire formats the SDK
 * reads; each hands out a new access key id per answer (`...1`, `...2`), so a
 * test can tell a refresh from a cached value.
 */

export interface TestCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

export interface CredentialServerOptions {
  /** The access key id handed out is this with the count of answers so far appended. */
  readonly keyPrefix?: string;
  /** How long each handed-out set lives. Default: an hour. */
  readonly lifetimeMs?: number;
}

interface Running {
  readonly server: Server;
  readonly url: string;
  stop(): Promise<void>;
}

/** "2030-01-01T00:00:00Z": the RFC 3339 form AWS writes, without milliseconds. */
const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

function issuer(prefix: string, lifetimeMs: number) {
  const issued: TestCredentials[] = [];
  return {
    issued,
    next(): TestCredentials {
      const n = issued.length + 1;
      const c = { accessKeyId: `${prefix}${n}`, secretAccessKey: `secret-${prefix.toLowerCase()}-${n}`, sessionToken: `token-${prefix.toLowerCase()}-${n}`, expiration: new Date(Math.floor((Date.now() + lifetimeMs) / 1000) * 1000) };
      issued.push(c);
      return c;
    },
  };
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Running> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const a = server.address();
  const port = typeof a === "object" && a ? a.port : 0;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

async function body(req: IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of req) text += chunk;
  return text;
}

// --- container credentials (ECS task role, EKS Pod Identity) ---------------

export interface ContainerCredentialsServer {
  /** For AWS_CONTAINER_CREDENTIALS_FULL_URI (the SDK accepts http on loopback). */
  readonly fullUri: string;
  /** Every set handed out, in order. */
  readonly issued: readonly TestCredentials[];
  /** The Authorization header of each request ("" when none). */
  readonly authorizations: string[];
  /** From now on answer with this HTTP status and no credentials (undefined: answer normally). */
  failWith(status: number | undefined): void;
  stop(): Promise<void>;
}

/**
 * A test double of the container credentials endpoint: `GET <path>` answers
 * the ECS JSON `{AccessKeyId, SecretAccessKey, Token, Expiration, RoleArn}`.
 * When `authorization` is given, other requests get 401 as the EKS Pod
 * Identity agent answers them.
 */
export async function startContainerCredentialsServer(opts: CredentialServerOptions & { authorization?: string; path?: string } = {}): Promise<ContainerCredentialsServer> {
  const path = opts.path ?? "/v2/credentials/test-task";
  const creds = issuer(opts.keyPrefix ?? "ASIACONTAINER", opts.lifetimeMs ?? 3_600_000);
  const authorizations: string[] = [];
  let failing: number | undefined;
  const running = await listen((req, res) => {
    authorizations.push(String(req.headers.authorization ?? ""));
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    if (failing) return json(failing, { Code: "TestFailure", Message: "the test double was told to fail" });
    if (req.method !== "GET" || req.url !== path) return json(404, { Code: "NotFound", Message: `no ${req.method} ${req.url}` });
    if (opts.authorization !== undefined && req.headers.authorization !== opts.authorization) return json(401, { Code: "AccessDeniedException", Message: "bad authorization token" });
    const c = creds.next();
    json(200, { AccessKeyId: c.accessKeyId, SecretAccessKey: c.secretAccessKey, Token: c.sessionToken, Expiration: rfc3339(c.expiration), RoleArn: "arn:aws:iam::111122223333:role/test-task-role" });
  });
  return {
    fullUri: `${running.url}${path}`,
    issued: creds.issued,
    authorizations,
    failWith: (status) => {
      failing = status;
    },
    stop: running.stop,
  };
}

// --- EC2 instance metadata (IMDSv2) -----------------------------------------

export interface InstanceMetadataServer {
  /** For AWS_EC2_METADATA_SERVICE_ENDPOINT. */
  readonly endpoint: string;
  readonly role: string;
  readonly issued: readonly TestCredentials[];
  /** Requests seen, as "METHOD /path" (token requests included). */
  readonly seen: string[];
  stop(): Promise<void>;
}

/**
 * A test double of the EC2 instance metadata service with IMDSv2 required:
 * `PUT /latest/api/token` (with x-aws-ec2-metadata-token-ttl-seconds) gives a
 * token; `GET /latest/meta-data/iam/security-credentials/` names the role and
 * `GET .../<role>` answers its credentials, both only with that token
 * (x-aws-ec2-metadata-token), 401 without, as a real instance with
 * HttpTokens=required does.
 */
export async function startInstanceMetadataServer(opts: CredentialServerOptions & { role?: string } = {}): Promise<InstanceMetadataServer> {
  const role = opts.role ?? "aves2-test-instance-role";
  const creds = issuer(opts.keyPrefix ?? "ASIAINSTANCE", opts.lifetimeMs ?? 3_600_000);
  const tokens = new Set<string>();
  const seen: string[] = [];
  const base = "/latest/meta-data/iam/security-credentials/";
  const running = await listen((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const send = (status: number, text: string, type = "text/plain") => {
      res.writeHead(status, { "content-type": type });
      res.end(text);
    };
    if (req.url === "/latest/api/token") {
      if (req.method !== "PUT") return send(405, "");
      if (!req.headers["x-aws-ec2-metadata-token-ttl-seconds"]) return send(400, "");
      const token = randomUUID();
      tokens.add(token);
      return send(200, token);
    }
    if (req.method !== "GET") return send(405, "");
    if (!tokens.has(String(req.headers["x-aws-ec2-metadata-token"] ?? ""))) return send(401, "");
    if (req.url === base) return send(200, role);
    if (req.url === `${base}${role}`) {
      const c = creds.next();
      return send(
        200,
        JSON.stringify({ Code: "Success", LastUpdated: rfc3339(new Date()), Type: "AWS-HMAC", AccessKeyId: c.accessKeyId, SecretAccessKey: c.secretAccessKey, Token: c.sessionToken, Expiration: rfc3339(c.expiration) }),
        "application/json",
      );
    }
    send(404, "");
  });
  return { endpoint: running.url, role, issued: creds.issued, seen, stop: running.stop };
}

// --- STS AssumeRoleWithWebIdentity (EKS IRSA) --------------------------------

export interface StsWebIdentityServer {
  /** For AWS_ENDPOINT_URL_STS. */
  readonly endpoint: string;
  readonly issued: readonly TestCredentials[];
  /** The parameters of each AssumeRoleWithWebIdentity call: RoleArn, WebIdentityToken, RoleSessionName. */
  readonly calls: Record<string, string>[];
  stop(): Promise<void>;
}

/**
 * A test double of STS for web identity: `POST /` with the query protocol's
 * form body; AssumeRoleWithWebIdentity answers its XML with credentials, a
 * token of "bad" gets the InvalidIdentityToken error STS gives. It checks no
 * signature (the call is unsigned) and trusts any token otherwise.
 */
export async function startStsWebIdentityServer(opts: CredentialServerOptions = {}): Promise<StsWebIdentityServer> {
  const creds = issuer(opts.keyPrefix ?? "ASIAWEBIDENTITY", opts.lifetimeMs ?? 3_600_000);
  const calls: Record<string, string>[] = [];
  const ns = "https://sts.amazonaws.com/doc/2011-06-15/";
  const running = await listen(async (req, res) => {
    const params = Object.fromEntries(new URLSearchParams(await body(req)));
    const xml = (status: number, text: string) => {
      res.writeHead(status, { "content-type": "text/xml" });
      res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${text}`);
    };
    if (req.method !== "POST" || params.Action !== "AssumeRoleWithWebIdentity") {
      return xml(400, `<ErrorResponse xmlns="${ns}"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>the test double knows only AssumeRoleWithWebIdentity</Message></Error><RequestId>test</RequestId></ErrorResponse>`);
    }
    calls.push(params);
    if (params.WebIdentityToken?.trim() === "bad") {
      return xml(400, `<ErrorResponse xmlns="${ns}"><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>Incorrect token audience</Message></Error><RequestId>test</RequestId></ErrorResponse>`);
    }
    const c = creds.next();
    const account = /^arn:aws:iam::(\d+):/.exec(params.RoleArn ?? "")?.[1] ?? "111122223333";
    xml(
      200,
      `<AssumeRoleWithWebIdentityResponse xmlns="${ns}"><AssumeRoleWithWebIdentityResult>` +
        `<Credentials><AccessKeyId>${c.accessKeyId}</AccessKeyId><SecretAccessKey>${c.secretAccessKey}</SecretAccessKey><SessionToken>${c.sessionToken}</SessionToken><Expiration>${rfc3339(c.expiration)}</Expiration></Credentials>` +
        `<SubjectFromWebIdentityToken>system:serviceaccount:test:runner</SubjectFromWebIdentityToken>` +
        `<AssumedRoleUser><Arn>arn:aws:sts::${account}:assumed-role/test/${params.RoleSessionName ?? "s"}</Arn><AssumedRoleId>AROATEST:${params.RoleSessionName ?? "s"}</AssumedRoleId></AssumedRoleUser>` +
        `<Provider>oidc.eks.test</Provider><Audience>sts.amazonaws.com</Audience>` +
        `</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>test</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`,
    );
  });
  return { endpoint: running.url, issued: creds.issued, calls, stop: running.stop };
}

// --- somewhere that never answers -------------------------------------------

export interface SilentServer {
  /** http://127.0.0.1:<port>: connections are accepted and never answered. */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * A TCP port that accepts connections and never answers: what a metadata
 * address looks like from a laptop whose network drops the packets, for
 * tests of how long a client waits.
 */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  const server: TcpServer = createTcpServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const a = server.address();
  const port = typeof a === "object" && a ? a.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
