/**
 * Bounded parallelism. `Limiter` caps how many things run at once (requests
 * on the wire); `forEachLimited` runs a function over items with at most
 * `limit` in flight and stops handing out new items after the first failure.
 */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {}

  async run<T>(f: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    try {
      return await f();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

export async function forEachLimited<T>(items: Iterable<T>, limit: number, f: (item: T, index: number) => Promise<void>): Promise<void> {
  const it = items[Symbol.iterator]();
  let index = 0;
  let failed: { error: unknown } | undefined;
  const worker = async () => {
    for (;;) {
      if (failed) return;
      const n = it.next();
      if (n.done) return;
      const i = index++;
      try {
        await f(n.value, i);
      } catch (e) {
        failed ??= { error: e };
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker));
  if (failed) throw failed.error;
}
