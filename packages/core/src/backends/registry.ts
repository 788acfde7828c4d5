import { closest } from "../catalog/suggest.js";
import { UserError } from "../errors.js";
import { aves2Backend } from "./aves2/declaration.js";
import type { BackendDeclaration } from "./declaration.js";
import { kubernetesBackend } from "./kubernetes/declaration.js";
import { localBackend } from "./local/declaration.js";
import { type BackendOption, type OptionValue, parseOptions } from "./options.js";

/**
 * Every backend, by its declaration: a new backend is a folder under
 * backends/ (its declaration.ts and its code) and one line here. This module
 * loads no backend's code: the CLI reads it at start-up to make its flags.
 */
const registry: BackendDeclaration[] = [
  localBackend,
  aves2Backend,
  kubernetesBackend,
];

/** The backends, in the order they are listed. */
export function backendDeclarations(): readonly BackendDeclaration[] {
  return registry;
}

/** Adds a backend (a test's, or a plugin's); the CLI must be made after. */
export function registerBackend(d: BackendDeclaration): void {
  const i = registry.findIndex((r) => r.name === d.name);
  if (i >= 0) registry[i] = d;
  else registry.push(d);
}

/** A backend by name or alias; undefined when there is none. */
export function findBackend(name: string): BackendDeclaration | undefined {
  return registry.find((d) => d.name === name || d.aliases?.includes(name));
}

/** A backend by name or alias, or the error `--backend` gets. */
export function backendNamed(name: string): BackendDeclaration {
  const found = findBackend(name);
  if (found) return found;
  const names = registry.map((d) => d.name);
  const aliases = registry.flatMap((d) => (d.aliases ?? []).map((a) => `${a} = ${d.name}`));
  const near = closest(name, [...names, ...registry.flatMap((d) => d.aliases ?? [])]);
  throw UserError.of(`unknown backend "${name}"`, {
    path: "--backend",
    hint: `available: ${names.join(", ")}${aliases.length ? ` (${aliases.join(", ")})` : ""}${near.length ? `; did you mean "${near[0]}"?` : ""}`,
  });
}

/** Whether runs on this backend cannot read this machine's folders (unknown backends count as remote). */
export function isRemoteBackend(name: string): boolean {
  return findBackend(name)?.remote ?? true;
}

/** Every backend's options once each (a flag two backends declare is one flag), in registry order. */
export function declaredOptions(): readonly { readonly option: BackendOption; readonly backend: BackendDeclaration }[] {
  const seen = new Set<string>();
  return registry.flatMap((backend) =>
    backend.options.flatMap((option) => {
      if (seen.has(option.name)) return [];
      seen.add(option.name);
      return [{ option, backend }];
    }),
  );
}

/**
 * The options of backend `name` among the flags given. Every backend's
 * options are checked, whichever runs (a bad --timeout is an error on any
 * backend), every problem at once.
 */
export function backendOptions(name: string, flags: Readonly<Record<string, unknown>>): Record<string, OptionValue> {
  const problems: UserError[] = [];
  let mine: Record<string, OptionValue> = {};
  const chosen = findBackend(name);
  const checked = new Set<string>();
  for (const d of registry) {
    const own = d.options.filter((o) => !checked.has(o.name));
    for (const o of own) checked.add(o.name);
    try {
      const values = parseOptions(own, flags);
      if (d === chosen) mine = { ...values, ...parseOptions(d.options.filter((o) => !own.includes(o)), flags) };
    } catch (e) {
      if (e instanceof UserError) problems.push(e);
      else throw e;
    }
  }
  if (problems.length > 0) throw new UserError(problems.flatMap((e) => e.problems));
  return mine;
}

export type { BackendDeclaration } from "./declaration.js";
export { type BackendOption, flagKey, optionFlag, type OptionValue, type OptionValues } from "./options.js";
