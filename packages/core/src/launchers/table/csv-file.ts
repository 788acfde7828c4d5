import { isUtf8 } from "node:buffer";
import { createReadStream } from "node:fs";
import { CsvSyntaxError, CsvTokenizer, type OnRecord } from "./csv-tokenizer.js";

/** How reading a CSV file ended. */
export type CsvEnd =
  | { readonly kind: "read" }
  /** `onRecord` asked to stop. */
  | { readonly kind: "stopped" }
  | { readonly kind: "syntax"; readonly error: CsvSyntaxError }
  | { readonly kind: "not-utf8" };

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Streams a UTF-8 CSV file through the tokenizer, dropping a leading byte
 * order mark. A file that is not UTF-8 is refused as a whole (TABLES.md), so
 * once the records stop the rest is still read, only to check the encoding.
 */
export async function readCsvFile(file: string, onRecord: OnRecord): Promise<CsvEnd> {
  const tokenizer = new CsvTokenizer();
  let end: CsvEnd | undefined;
  let carry: Buffer | undefined;
  let first = true;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let bytes = carry ? Buffer.concat([carry, chunk]) : chunk;
    if (first) {
      first = false;
      if (bytes.subarray(0, 3).equals(BOM)) bytes = bytes.subarray(3);
    }
    const whole = completeLength(bytes);
    carry = whole < bytes.length ? bytes.subarray(whole) : undefined;
    const text = bytes.subarray(0, whole);
    if (!isUtf8(text)) return { kind: "not-utf8" };
    if (!end) end = feed(() => tokenizer.push(text.toString("utf8"), onRecord));
  }
  if (carry) return { kind: "not-utf8" };
  return end ?? feed(() => tokenizer.end(onRecord)) ?? { kind: "read" };
}

/** The tokenizer's verdict on one piece: undefined while reading goes on. */
function feed(push: () => boolean): CsvEnd | undefined {
  try {
    return push() ? undefined : { kind: "stopped" };
  } catch (e) {
    if (e instanceof CsvSyntaxError) return { kind: "syntax", error: e };
    throw e;
  }
}

/** The length of `bytes` without a multi-byte character cut off at its end (its rest is in the next chunk). */
function completeLength(bytes: Buffer): number {
  const n = bytes.length;
  for (let k = 1; k <= Math.min(3, n); k++) {
    const b = bytes[n - k]!;
    if ((b & 0xc0) === 0x80) continue;
    const size = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return size > k ? n - k : n;
  }
  return n;
}
