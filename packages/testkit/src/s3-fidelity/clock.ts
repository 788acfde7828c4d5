/**
 * The proxy's clock: the real one + `offset` ms, so a test can put the server's
 * time far from the client's without touching either machine's clock.
 */
export class Clock {
  offset = 0;

  now(): Date {
    return new Date(Date.now() + this.offset);
  }

  /** An HTTP date of s3rver's (which runs on the real clock) on this clock; left as is when unreadable. */
  shift(httpDate: string): string {
    const d = new Date(httpDate);
    return Number.isNaN(d.getTime()) ? httpDate : new Date(d.getTime() + this.offset).toUTCString();
  }
}

/** `YYYYMMDDTHHMMSSZ`, as SigV4's x-amz-date. */
export function amzDateOf(d: Date): string {
  return d.toISOString().replace(/[-:]|\.\d{3}/g, "");
}

export function parseAmzDate(s: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return undefined;
  const d = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** ISO 8601 without milliseconds, as S3's error documents write times. */
export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}
