/** "Did you mean" suggestions for mistyped names. */

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = prev[j]!;
      prev[j] = Math.min(above + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = above;
    }
  }
  return prev[b.length]!;
}

/** The known names closest to `name`, best first; empty when none is close. */
export function closest(name: string, known: readonly string[], max = 3): string[] {
  const lower = name.toLowerCase();
  return known
    .map((k) => {
      const kl = k.toLowerCase();
      const substring = kl.includes(lower) || lower.includes(kl);
      return { k, d: substring ? 0.5 : editDistance(lower, kl) };
    })
    .filter(({ k, d }) => d <= Math.max(2, Math.floor(k.length / 3)))
    .sort((x, y) => x.d - y.d || x.k.localeCompare(y.k))
    .slice(0, max)
    .map(({ k }) => k);
}

/** ` (did you mean "a" or "b"?)`-style hint text, or undefined. */
export function didYouMean(name: string, known: readonly string[]): string | undefined {
  const c = closest(name, known);
  if (c.length === 0) return undefined;
  return `did you mean ${c.map((s) => `"${s}"`).join(" or ")}?`;
}
