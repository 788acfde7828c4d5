/** The server sends the log as text lines ending in CRLF. */
export function splitLog(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/**
 * The lines of `next` not already printed from `prev`. The server returns the
 * log's last lines, so `next` either extends `prev` or is a later window of
 * the same log: the longest tail of `prev` that starts `next` is the overlap.
 */
export function newLines(prev: readonly string[], next: readonly string[]): string[] {
  if (prev.length === 0) return [...next];
  for (let k = Math.min(prev.length, next.length); k > 0; k--) {
    if (next[k - 1] !== prev[prev.length - 1]) continue;
    let same = true;
    for (let i = 0; i < k && same; i++) same = next[i] === prev[prev.length - k + i];
    if (same) return next.slice(k);
  }
  return [...next];
}
