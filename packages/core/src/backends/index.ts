import type { Backend } from "./backend.js";
import type { BackendContext, BackendFactory } from "./declaration.js";
import { backendDeclarations, backendNamed } from "./registry.js";

export type { BackendContext, BackendDeclaration, BackendFactory } from "./declaration.js";

const factories = new Map<string, BackendFactory>();

/** Loads the code of every registered backend that is not loaded yet (done once when the engine is imported). */
export async function loadBackends(): Promise<void> {
  await Promise.all(
    backendDeclarations().map(async (d) => {
      if (!d.create && d.load && !factories.has(d.name)) factories.set(d.name, (await d.load()).create);
    }),
  );
}

await loadBackends();

/**
 * A backend by name or alias, made from the context: what it reads of the
 * config (and, for AVES2, of the AVES2 client's config) is read here, so
 * that its plan() stays pure.
 */
export function createBackend(name: string, ctx: BackendContext): Backend {
  const d = backendNamed(name);
  const create = d.create ?? factories.get(d.name);
  if (!create) throw new Error(`the code of backend "${d.name}" is not loaded: await loadBackends() after registering it`);
  return create(ctx);
}
