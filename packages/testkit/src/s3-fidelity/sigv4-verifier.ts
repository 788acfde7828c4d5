import { createHash, createHmac } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { isoSeconds, parseAmzDate } from "./clock.js";
import { type Failure, failure, isFailure, signatureDoesNotMatch } from "./s3-errors.js";
import { header, parseQuery, rfc3986 } from "./wire-format.js";

/** A request whose signature held: what its body's chunk signatures chain on. */
export interface Authn {
  readonly accessKey: string;
  readonly region: string;
  readonly amzDate: string;
  readonly scope: string;
  readonly signature: string;
  readonly signingKey: Buffer;
  readonly payloadHash: string;
  readonly presigned: boolean;
}

export interface Verifier {
  /** Access key id → secret key. */
  readonly credentials: Readonly<Record<string, string>>;
  /** Access key id → the session token its requests must carry. */
  readonly sessionTokens?: Readonly<Record<string, string>> | undefined;
  /** The server's time, against which x-amz-date and X-Amz-Expires are judged. */
  now(): Date;
}

const MAX_SKEW_MS = 15 * 60_000;
const EMPTY_SHA256 = createHash("sha256").update("").digest("hex");
const PAYLOAD_MODES = /^(UNSIGNED-PAYLOAD|STREAMING-UNSIGNED-PAYLOAD-TRAILER|STREAMING-AWS4-HMAC-SHA256-PAYLOAD|STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER|[0-9a-fA-F]{64})$/;

export function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac("sha256", key).update(data).digest();
}

function canonicalHeaderValue(req: IncomingMessage, name: string): string {
  const values: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.toLowerCase() === name) values.push(req.rawHeaders[i + 1]!.trim().replace(/\s+/g, " "));
  return values.join(",");
}

function deriveKey(secret: string, date: string, region: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), "s3"), "aws4_request");
}

/** The credential, date and signature a request claims, from its Authorization header or its presigned query. */
type Claim = { credential: string; signedHeaders: string; signature: string; amzDate: string | undefined; payloadHash: string };

function claimOfHeader(req: IncomingMessage, authz: string): Claim | Failure {
  const sp = authz.indexOf(" ");
  const algorithm = sp < 0 ? authz : authz.slice(0, sp);
  if (algorithm !== "AWS4-HMAC-SHA256") return failure(400, "InvalidRequest", "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.");
  const fields = new Map<string, string>();
  for (const part of authz.slice(sp + 1).split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  for (const f of ["Credential", "SignedHeaders", "Signature"])
    if (!fields.get(f)) return failure(400, "AuthorizationHeaderMalformed", `The authorization header is malformed; missing ${f}.`);
  const ph = header(req, "x-amz-content-sha256");
  if (!ph) return failure(400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256");
  if (!PAYLOAD_MODES.test(ph))
    return failure(400, "InvalidArgument", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.", {
      ArgumentName: "x-amz-content-sha256",
      ArgumentValue: ph,
    });
  return { credential: fields.get("Credential")!, signedHeaders: fields.get("SignedHeaders")!, signature: fields.get("Signature")!, amzDate: header(req, "x-amz-date"), payloadHash: ph };
}

function claimOfQuery(params: [string, string][], q: Map<string, string>): Claim | Failure {
  if (q.get("X-Amz-Algorithm") !== "AWS4-HMAC-SHA256") return failure(400, "AuthorizationQueryParametersError", 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  for (const p of ["X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires"])
    if (!q.has(p))
      return failure(400, "AuthorizationQueryParametersError", "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.");
  return {
    credential: q.get("X-Amz-Credential")!,
    signedHeaders: q.get("X-Amz-SignedHeaders")!,
    signature: q.get("X-Amz-Signature")!,
    amzDate: q.get("X-Amz-Date"),
    // presigned URLs sign no body: UNSIGNED-PAYLOAD unless the URL itself names a hash
    payloadHash: params.find(([k]) => k.toLowerCase() === "x-amz-content-sha256")?.[1] ?? "UNSIGNED-PAYLOAD",
  };
}

/** Verifies a request's SigV4 signature from scratch, with the checks (and error answers) of S3 before it. */
export function authenticate(verifier: Verifier, req: IncomingMessage, rawPath: string, rawQuery: string): Authn | Failure {
  const params = parseQuery(rawQuery);
  const q = new Map(params);
  const authz = header(req, "authorization");
  const presigned = q.has("X-Amz-Algorithm");
  if (authz && presigned)
    return failure(400, "InvalidArgument", "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified", {
      ArgumentName: "Authorization",
      ArgumentValue: authz,
    });
  if (!authz && !presigned) return failure(403, "AccessDenied", "Access Denied");
  const claim = authz ? claimOfHeader(req, authz) : claimOfQuery(params, q);
  if (isFailure(claim)) return claim;
  const { credential, signedHeaders, signature, amzDate, payloadHash } = claim;

  const cred = credential.split("/");
  if (cred.length !== 5 || cred[4] !== "aws4_request")
    return failure(400, "AuthorizationHeaderMalformed", 'The authorization header is malformed; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".');
  const [accessKey, date, region, service] = cred as [string, string, string, string, string];
  if (service !== "s3") return failure(400, "AuthorizationHeaderMalformed", `The authorization header is malformed; incorrect service '${service}'. This endpoint belongs to 's3'.`);
  const secret = verifier.credentials[accessKey];
  if (secret === undefined) return failure(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", { AWSAccessKeyId: accessKey });

  const when = amzDate ? parseAmzDate(amzDate) : undefined;
  if (!amzDate || !when) return failure(403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header");
  if (amzDate.slice(0, 8) !== date) return failure(400, "AuthorizationHeaderMalformed", `The authorization header is malformed; Invalid credential date "${date}". This date is not the same as X-Amz-Date: "${amzDate.slice(0, 8)}".`);
  const serverNow = verifier.now();
  if (!presigned && Math.abs(serverNow.getTime() - when.getTime()) > MAX_SKEW_MS)
    return failure(403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.", {
      RequestTime: amzDate,
      ServerTime: isoSeconds(serverNow),
      MaxAllowedSkewMilliseconds: MAX_SKEW_MS,
    });
  if (presigned) {
    const expires = Number(q.get("X-Amz-Expires"));
    if (!Number.isInteger(expires) || expires < 1 || expires > 604800)
      return failure(400, "AuthorizationQueryParametersError", "X-Amz-Expires must be less than a week (in seconds) that is 604800");
    if (serverNow.getTime() > when.getTime() + expires * 1000)
      return failure(403, "AccessDenied", "Request has expired", { "X-Amz-Expires": expires, Expires: isoSeconds(new Date(when.getTime() + expires * 1000)), ServerTime: isoSeconds(serverNow) });
  }

  const names = signedHeaders.split(";").map((n) => n.trim().toLowerCase());
  const unsigned = [
    ...(names.includes("host") ? [] : ["host"]),
    // every x-amz-* header must be signed, but the session token may come after signing
    ...(presigned ? [] : Object.keys(req.headers).filter((h) => h.startsWith("x-amz-") && h !== "x-amz-security-token" && !names.includes(h))),
  ];
  if (unsigned.length) return failure(403, "AccessDenied", "There were headers present in the request which were not signed", { HeadersNotSigned: unsigned.join(", ") });

  const token = header(req, "x-amz-security-token") ?? q.get("X-Amz-Security-Token");
  const wanted = verifier.sessionTokens?.[accessKey];
  if (wanted !== undefined && token !== wanted) return failure(403, "InvalidToken", "The provided token is malformed or otherwise invalid.", token ? { Token: token } : {});

  const canonicalQuery = params
    .filter(([k]) => !(presigned && k === "X-Amz-Signature"))
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const canonicalRequest = [
    req.method ?? "GET",
    rawPath || "/",
    canonicalQuery,
    names.map((n) => `${n}:${canonicalHeaderValue(req, n)}\n`).join(""),
    names.join(";"),
    payloadHash,
  ].join("\n");
  const scope = `${date}/${region}/s3/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonicalRequest)].join("\n");
  const signingKey = deriveKey(secret, date, region);
  const expected = createHmac("sha256", signingKey).update(stringToSign).digest("hex");
  if (expected !== signature.toLowerCase())
    return signatureDoesNotMatch({ AWSAccessKeyId: accessKey, StringToSign: stringToSign, SignatureProvided: signature, CanonicalRequest: canonicalRequest });
  return { accessKey, region, amzDate, scope, signature: expected, signingKey, payloadHash, presigned };
}

/** The body of an aws-chunked upload, its chunk (and trailer) signatures and trailing checksums checked. */
export function decodeChunked(buf: Buffer, a: Authn): { data: Buffer; trailers: Map<string, string> } | Failure {
  const signed = a.payloadHash.startsWith("STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
  const bad = () => failure(400, "IncompleteBody", "The request body terminated unexpectedly");
  const pieces: Buffer[] = [];
  let prev = a.signature;
  let pos = 0;
  for (;;) {
    const eol = buf.indexOf("\r\n", pos);
    if (eol < 0) return bad();
    const [sizeHex, ...exts] = buf.toString("latin1", pos, eol).split(";");
    const size = Number.parseInt(sizeHex!.trim(), 16);
    if (!Number.isFinite(size) || size < 0) return bad();
    pos = eol + 2;
    if (pos + size > buf.length) return bad();
    const data = buf.subarray(pos, pos + size);
    if (signed) {
      const given = exts.map((e) => e.trim()).find((e) => e.startsWith("chunk-signature="))?.slice("chunk-signature=".length);
      const toSign = ["AWS4-HMAC-SHA256-PAYLOAD", a.amzDate, a.scope, prev, EMPTY_SHA256, sha256(data)].join("\n");
      const want = createHmac("sha256", a.signingKey).update(toSign).digest("hex");
      if (given !== want) return signatureDoesNotMatch();
      prev = want;
    }
    pos += size;
    if (size === 0) break;
    if (buf.toString("latin1", pos, pos + 2) !== "\r\n") return bad();
    pos += 2;
    pieces.push(data);
  }
  const trailers = new Map<string, string>();
  let trailerSignature: string | undefined;
  const lines: string[] = [];
  while (pos < buf.length) {
    const eol = buf.indexOf("\r\n", pos);
    const line = buf.toString("latin1", pos, eol < 0 ? buf.length : eol);
    pos = eol < 0 ? buf.length : eol + 2;
    if (line === "") break;
    const colon = line.indexOf(":");
    if (colon < 0) return bad();
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "x-amz-trailer-signature") trailerSignature = value;
    else {
      trailers.set(name, value);
      lines.push(`${name}:${value}\n`);
    }
  }
  if (a.payloadHash === "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER") {
    const toSign = ["AWS4-HMAC-SHA256-TRAILER", a.amzDate, a.scope, prev, sha256(lines.join(""))].join("\n");
    if (trailerSignature !== createHmac("sha256", a.signingKey).update(toSign).digest("hex")) return signatureDoesNotMatch();
  }
  return { data: Buffer.concat(pieces), trailers };
}
