import { existsSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Problem, UserError } from "../errors.js";
import { loadComponent, MANIFEST_FILE } from "../manifest/load.js";
import type { Component } from "../manifest/types.js";
import { didYouMean } from "./suggest.js";

/**
 * The project (catalog) root: the nearest folder above `from` with a
 * `components/` folder and a pnpm-workspace.yaml or aves2.config.yaml; failing
 * that, the monorepo this code is installed in.
 */
export function findProjectRoot(from: string = process.cwd()): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const marker = existsSync(join(dir, "pnpm-workspace.yaml")) || existsSync(join(dir, "aves2.config.yaml"));
    if (marker && existsSync(join(dir, "components"))) return dir;
    if (dirname(dir) === dir) break;
  }
  const own = toolRoot();
  if (existsSync(join(own, "components"))) return own;
  return resolve(from);
}

/** The monorepo this code is part of (its components, templates, python runtime). */
export function toolRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
}

export interface CatalogEntry {
  readonly dir: string;
  /** The component, or the problems that stop it from loading. */
  readonly component?: Component;
  readonly problems?: readonly Problem[];
}

/** The entry's component name; for a manifest that does not load, its folder's name. */
export function entryName(e: CatalogEntry): string {
  return e.component?.name ?? e.dir.split(/[/\\]/).filter(Boolean).pop() ?? e.dir;
}

/** Component folders: every `components/<name>/` with a component.yaml. */
export function componentDirs(root: string): string[] {
  const base = join(root, "components");
  if (!existsSync(base)) return [];
  return readdirSync(base, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(base, d.name, MANIFEST_FILE)))
    .map((d) => join(base, d.name))
    .sort();
}

const folderName = (dir: string): string => dir.split(/[/\\]/).pop()!;

/** The names of the catalog's components (their folders' names). */
export function componentNames(root: string): string[] {
  return componentDirs(root).map(folderName);
}

/** The catalog's folder of component `name` (`components/<name>/`), or undefined when it has none. */
export function componentDir(root: string, name: string): string | undefined {
  return componentDirs(root).find((d) => folderName(d) === name);
}

/** Loads every component; a broken one is reported, not fatal to the others. */
export function loadCatalog(root: string): CatalogEntry[] {
  return componentDirs(root).map((dir) => {
    try {
      return { dir, component: loadComponent(dir) };
    } catch (e) {
      if (e instanceof UserError) return { dir, problems: e.problems };
      throw e;
    }
  });
}

/** Splits `name@version`. */
export function parseComponentRef(ref: string): { name: string; version?: string } {
  const at = ref.lastIndexOf("@");
  return at > 0 ? { name: ref.slice(0, at), version: ref.slice(at + 1) } : { name: ref };
}

/**
 * A component by name (or by path to its folder). Unknown names get the
 * closest known names as a hint.
 */
export function findComponent(root: string, ref: string): Component {
  if (ref.includes("/") || ref.startsWith(".")) {
    const dir = resolve(ref);
    if (existsSync(join(dir, MANIFEST_FILE))) return loadComponent(dir);
    throw UserError.of(`no component at "${ref}"`, { hint: `${dir} has no ${MANIFEST_FILE}` });
  }
  const { name, version } = parseComponentRef(ref);
  const dir = componentDir(root, name);
  if (!dir) {
    const known = componentNames(root);
    throw UserError.of(`unknown component "${name}"`, {
      hint: didYouMean(name, known) ?? (known.length ? `known components: ${known.join(", ")}` : "this catalog has no components"),
    });
  }
  const component = loadComponent(dir);
  if (version && version !== component.version) {
    throw UserError.of(`${name}@${version} is not in this catalog`, { hint: `the local version is ${component.version}` });
  }
  return component;
}
