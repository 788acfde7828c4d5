import { randomBytes } from "node:crypto";
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { Clock } from "./clock.js";
import { baseHeaders } from "./responses.js";
import { xmlEscape } from "./wire-format.js";

/** An S3 error answer still to be sent: `extra` become elements of the XML, `headers` HTTP headers. */
export interface Failure {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly extra?: Readonly<Record<string, string | number>>;
  readonly headers?: Readonly<Record<string, string>>;
}

export function failure(status: number, code: string, message: string, extra?: Record<string, string | number>, headers?: Record<string, string>): Failure {
  return { status, code, message, ...(extra ? { extra } : {}), ...(headers ? { headers } : {}) };
}

export function isFailure<T extends object>(x: T | Failure): x is Failure {
  return "status" in x;
}

export function preconditionFailed(condition: string): Failure {
  return failure(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", { Condition: condition });
}

export function invalidPartNumber(value: string): Failure {
  return failure(400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive", { ArgumentName: "partNumber", ArgumentValue: value });
}

export function signatureDoesNotMatch(extra?: Record<string, string | number>): Failure {
  return failure(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.", extra);
}

/** Answers as S3 does: an XML <Error> document, or the bare status to a HEAD (which has no body). */
export function sendError(clock: Clock, req: IncomingMessage, res: ServerResponse, f: Failure): void {
  const rid = randomBytes(8).toString("hex").toUpperCase();
  const extra = Object.entries(f.extra ?? {})
    .map(([k, v]) => `<${k}>${xmlEscape(String(v))}</${k}>`)
    .join("");
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${f.code}</Code><Message>${xmlEscape(f.message)}</Message>${extra}<RequestId>${rid}</RequestId><HostId>${randomBytes(24).toString("base64")}</HostId></Error>`;
  const headers: OutgoingHttpHeaders = { ...baseHeaders(clock), "x-amz-request-id": rid, ...f.headers };
  if (req.method === "HEAD") {
    res.writeHead(f.status, headers);
    res.end();
  } else {
    res.writeHead(f.status, { ...headers, "content-type": "application/xml", "content-length": Buffer.byteLength(body) });
    res.end(body);
  }
  // whatever the client still sends is read and dropped (node does so once the answer is complete)
}
