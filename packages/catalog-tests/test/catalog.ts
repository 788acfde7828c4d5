import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Component, findPython, loadCatalog } from "@aves2/core";
import { REPO } from "@aves2/testkit";

/** Every component of the real catalog (a broken manifest fails here, naming its problems). */
export function components(): Component[] {
  return loadCatalog(REPO).map((e) => {
    if (!e.component) throw new Error(`${e.dir}: ${JSON.stringify(e.problems)}`);
    return e.component;
  });
}

/** The interpreter the tests run Python with: AVES2_PYTHON, else one that has scikit-learn. */
export async function python(): Promise<string> {
  const explicit = process.env.AVES2_PYTHON ? { value: process.env.AVES2_PYTHON, source: "AVES2_PYTHON" } : undefined;
  return (await findPython({ modules: ["sklearn", "numpy"], packages: { sklearn: "python3-sklearn", numpy: "python3-numpy" } }, explicit)).path;
}

/** At most `n` tasks at once; the catalog's sample runs share two cores with the rest of the tests. */
export function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    while (running >= n) await new Promise<void>((r) => waiting.push(r));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

export function packageJson(dir: string): { name: string; devDependencies?: Record<string, string> } {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
}

/** The entry file of a component (the script its command runs). */
export function entryFile(c: Component): string {
  return join(c.sourceDir, c.command.find((w) => w.endsWith(".py")) ?? "");
}
