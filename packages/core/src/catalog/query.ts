import { UserError } from "../errors.js";
import { FRAMEWORKS, type Framework } from "../manifest/types.js";
import { type CatalogEntry, entryName } from "./catalog.js";
import { didYouMean } from "./suggest.js";

/** What `component list` narrows the catalog to; every given part must hold. */
export interface CatalogQuery {
  /** A category, or a family above categories: `ml` matches `ml/classification`. */
  readonly category?: string;
  readonly framework?: string;
  /** Each word must occur (any case) in the name, title, description, category or upstream folder. */
  readonly words?: readonly string[];
}

/** One category's components, in name order. */
export interface CategoryGroup {
  /** `undefined` holds the manifests that do not load (they have no category to go by). */
  readonly category: string | undefined;
  readonly entries: readonly CatalogEntry[];
}

/**
 * The entries that match `query`. A manifest that does not load is matched by
 * its folder name only, so a broken component stays visible when it is looked for.
 */
export function queryCatalog(entries: readonly CatalogEntry[], query: CatalogQuery): CatalogEntry[] {
  const framework = query.framework === undefined ? undefined : checkFramework(query.framework);
  const category = query.category?.replace(/\/+$/, "");
  const words = (query.words ?? []).flatMap((w) => w.toLowerCase().split(/\s+/)).filter(Boolean);
  return entries.filter((e) => {
    const c = e.component;
    if (!c) return category === undefined && framework === undefined && words.every((w) => entryName(e).toLowerCase().includes(w));
    if (category !== undefined && c.category !== category && !c.category.startsWith(`${category}/`)) return false;
    if (framework !== undefined && c.framework !== framework) return false;
    const text = [c.name, c.title, c.description, c.category, c.upstream ?? ""].join("\n").toLowerCase();
    return words.every((w) => text.includes(w));
  });
}

/** Groups by category (sorted), components by name within each; broken manifests last. */
export function groupByCategory(entries: readonly CatalogEntry[]): CategoryGroup[] {
  const groups = new Map<string | undefined, CatalogEntry[]>();
  for (const e of entries) {
    const key = e.component?.category;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a === undefined ? 1 : b === undefined ? -1 : a.localeCompare(b)))
    .map(([category, list]) => ({ category, entries: [...list].sort((x, y) => entryName(x).localeCompare(entryName(y))) }));
}

function checkFramework(f: string): Framework {
  if ((FRAMEWORKS as readonly string[]).includes(f)) return f as Framework;
  throw UserError.of(`"${f}" is not a framework`, { path: "--framework", hint: didYouMean(f, FRAMEWORKS) ?? `frameworks are: ${FRAMEWORKS.join(", ")}` });
}
