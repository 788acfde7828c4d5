/**
 * What a CSV value is, by TABLES.md: trimming, missing markers, numbers,
 * class labels. The Python reader (aves2_runtime.tables) must read a value
 * the same way, so each rule here is the one written there.
 */

const MISSING = new Set(["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "?"]);
// ASCII digits only: Python's \d would also take other scripts' digits
const NUMBER = /^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$/;

/** Python's str.isspace(), so that trim() strips what str.strip() strips (JS's trim() differs on U+001C–U+001F, U+0085, U+FEFF). */
function isSpace(c: number): boolean {
  if (c <= 0x20) return (c >= 0x09 && c <= 0x0d) || c >= 0x1c;
  return c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

export function trim(v: string): string {
  let a = 0;
  let b = v.length;
  while (a < b && isSpace(v.charCodeAt(a))) a++;
  while (b > a && isSpace(v.charCodeAt(b - 1))) b--;
  return a === 0 && b === v.length ? v : v.slice(a, b);
}

/** Of a trimmed value. */
export function isMissing(v: string): boolean {
  return MISSING.has(v);
}

/** Of a trimmed value: `inf`, `1_000`, `0x1F` and `1,5` are not numbers. */
export function isNumber(v: string): boolean {
  return NUMBER.test(v);
}

/** A number that is not whole: it makes a classification target a regression target. */
export function isFraction(v: string): boolean {
  return isNumber(v) && !Number.isInteger(Number(v));
}

/** A class label: whole numbers are written as integers, so `2`, `2.0` and `+2` are one class. */
export function labelText(v: string): string {
  if (!isNumber(v)) return v;
  const n = Number(v);
  // BigInt, as Python's str(int(f)) does, writes 1e21 out in digits
  return Number.isInteger(n) ? BigInt(n).toString() : v;
}

/** Classes in the order TABLES.md gives: numerically when all are numbers, else as text (by code point, as Python sorts). */
export function sortClasses(labels: Iterable<string>): string[] {
  const list = [...labels];
  if (list.every(isNumber)) return list.sort((a, b) => Number(a) - Number(b));
  return list.sort(byCodePoint);
}

function isSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdfff;
}

/** JS compares UTF-16 units; a code point past U+FFFF (a surrogate pair) must sort after every other one. */
function byCodePoint(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (isSurrogate(x) !== isSurrogate(y)) return isSurrogate(x) ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** `a, b, c`: at most `max` names, then `...`. */
export function nameList(names: readonly string[], max = Number.POSITIVE_INFINITY): string {
  return names.length > max ? `${names.slice(0, max).join(", ")}, ...` : names.join(", ");
}

/** At most `max` characters (code points, as Python counts them). */
export function firstChars(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length > max ? chars.slice(0, max).join("") : text;
}
