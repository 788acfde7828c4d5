import { UserError } from "../errors.js";
import { IntegrityError } from "../retry/transfer.js";

export interface S3ErrorContext {
  /** The endpoint as messages name it. */
  readonly endpoint: string;
  /** The s3:// URI the request was about. */
  readonly uri: string;
  /** The flag or binding it came from (`--input train_data_dir`). */
  readonly what?: string;
  readonly credentialSource: string;
  /** The proxy the request went through, when one did (no credentials). */
  readonly proxy?: string;
}

type SdkError = Error & { code?: string; Code?: string; $metadata?: { httpStatusCode?: number }; $fault?: string; clockOffsetMs?: number };

const TLS_TRUST = /^(CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER)/;
const NETWORK = /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ECONNABORTED|EPIPE|UND_ERR_SOCKET|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER)/;

function minutes(ms: number): string {
  const m = Math.abs(ms) / 60_000;
  return m >= 90 ? `${(m / 60).toFixed(1)} hours` : `${Math.round(m)} minutes`;
}

/**
 * What went wrong with a request, in words a user can act on: the endpoint,
 * the bucket or key, and where the credentials came from (never their values).
 * Answers from the server and unreachable endpoints are user errors; anything
 * else is passed through.
 */
export function explainS3Error(e: unknown, at: S3ErrorContext): unknown {
  if (e instanceof UserError || !(e instanceof Error)) return e;
  const err = e as SdkError;
  const status = err.$metadata?.httpStatusCode;
  const code = err.name && err.name !== "Error" ? err.name : (err.Code ?? err.code ?? "");
  const path = at.what;
  const creds = `credentials from ${at.credentialSource}`;
  const mk = (message: string, hint?: string) => UserError.of(message, { ...(path ? { path } : {}), ...(hint ? { hint } : {}) });
  const bucket = /^s3:\/\/([^/]+)/.exec(at.uri)?.[1] ?? "";

  if (e instanceof IntegrityError) return mk(`${at.uri}: ${e.message} (after retries)`, "the data was damaged in transit every time; check the network or the server");
  if (code === "NoSuchBucket") return mk(`bucket "${bucket}" does not exist at ${at.endpoint}`, "create it, or check the bucket name and the endpoint");
  if (code === "InvalidAccessKeyId") return mk(`the access key id is not known at ${at.endpoint} (${creds})`, "check the credentials");
  if (code === "SignatureDoesNotMatch") return mk(`the secret access key does not match the access key id at ${at.endpoint} (${creds})`, "check the credentials");
  if (code === "ExpiredToken" || code === "TokenRefreshRequired" || code === "InvalidToken") return mk(`the session token was refused at ${at.endpoint} (${creds}): ${code}`, "refresh the credentials");
  if (code === "RequestTimeTooSkewed") {
    const off = err.clockOffsetMs;
    return mk(
      `${at.endpoint} refuses this machine's clock${off !== undefined ? `, ${minutes(off)} ${off > 0 ? "behind" : "ahead of"} the server's` : ""}, even after signing by the server's own time`,
      "set the clock right (NTP, or `timedatectl set-ntp true`)",
    );
  }
  if (code === "InvalidHeader") return mk(`${at.uri}: ${err.message}`, "remove line breaks from metadata and content types");
  if (code === "IncompleteListing") return mk(`the listing of ${at.uri} at ${at.endpoint} is incomplete: ${err.message}`, "nothing was staged from a partial listing; the server's listing API may be incompatible");
  if (code === "HTTPParserError" || /^HPE_/.test(err.code ?? "") || err.code === "UND_ERR_RES_CONTENT_LENGTH_MISMATCH") {
    return mk(`${at.endpoint} sent a malformed HTTP answer for ${at.uri} (${err.message.replace(/\s+/g, " ").trim()})`, "a server or proxy in between is broken; check HTTPS_PROXY/HTTP_PROXY and the endpoint");
  }
  if (status === 407 || /Proxy response \(407\)|\(407\)$/.test(err.message)) {
    return mk(`the HTTP proxy refused the request to ${at.endpoint}: it wants credentials (407)`, "put them in the proxy URL: HTTPS_PROXY=http://user:password@proxy:port");
  }
  if (/Proxy response \(\d+\) !== 200 when HTTP Tunneling/.test(err.message)) {
    return mk(`the HTTP proxy would not open a tunnel to ${at.endpoint} (${/\((\d+)\)/.exec(err.message)?.[1]})`, "check HTTPS_PROXY and NO_PROXY");
  }
  if (code === "PermanentRedirect" || code === "AuthorizationHeaderMalformed" || status === 301) {
    return mk(`bucket "${bucket}" is not in the region used (${code || status}) at ${at.endpoint}`, "set the bucket's region with AWS_REGION or s3.region in aves2.config.yaml");
  }
  if (code === "AccessDenied" || status === 403) return mk(`access denied to ${at.uri} at ${at.endpoint} (${creds})`, "check the credentials and the bucket's policy");
  if (code === "NoSuchKey" || code === "NotFound" || status === 404) return mk(`${at.uri} does not exist at ${at.endpoint}`);
  if (code === "CredentialsProviderError") return mk(`no usable S3 credentials: ${err.message}`);
  const net = [err.code, code, (err.cause as { code?: string } | undefined)?.code].find((c) => c && NETWORK.test(c));
  if (net && TLS_TRUST.test(net)) {
    return mk(`the S3 endpoint ${at.endpoint} has a TLS certificate this machine does not trust (${net})`, "set AWS_CA_BUNDLE to a PEM file with the CA that signed it");
  }
  if (net || code === "TimeoutError" || /socket hang up|connect ETIMEDOUT|getaddrinfo/i.test(err.message)) {
    if (at.proxy) return mk(`cannot reach the S3 endpoint ${at.endpoint} through the proxy ${at.proxy} (${net ?? code ?? err.message})`, "is the proxy up? It comes from HTTPS_PROXY or HTTP_PROXY; NO_PROXY lists hosts reached without it");
    return mk(`cannot reach the S3 endpoint ${at.endpoint} (${net ?? code ?? err.message})`, "is the server up? The endpoint comes from AWS_ENDPOINT_URL, s3.endpoint in aves2.config.yaml or S3Endpoint in ~/.aves2/aves2.cfg");
  }
  if (status !== undefined && status >= 500) return mk(`the S3 endpoint ${at.endpoint} kept failing on ${at.uri}: ${status} ${code}`.trim(), "the server is in trouble; try again later");
  if (status === 429 || code === "SlowDown") return mk(`the S3 endpoint ${at.endpoint} kept throttling requests on ${at.uri}`, "try again later, or with fewer parallel transfers");
  if (status !== undefined) return mk(`${at.uri}: the S3 endpoint ${at.endpoint} answered ${status}${code ? ` ${code}` : ""}: ${err.message}`);
  if (code === "NotS3Answer" || /Deserialization|Expected closing tag|char '.*' is not expected|Unexpected token/i.test(err.message)) {
    return mk(`${at.endpoint} did not answer like an S3 service`, "check the endpoint URL");
  }
  return e;
}
