import { readFileSync } from "node:fs";
import { type Problem, UserError } from "../errors.js";
import { loadComponent } from "../manifest/load.js";
import { formatPath } from "../key-path.js";
import { parseSampleUse } from "../manifest/sample.js";
import type { Component } from "../manifest/types.js";
import { parseYaml, type YamlSource } from "../manifest/yaml-source.js";
import { type CatalogEntry, componentDirs, entryName, findComponent, loadCatalog } from "./catalog.js";
import { didYouMean } from "./suggest.js";

/** A problem between components, filed under the component whose manifest has to change. */
export interface CatalogProblem extends Problem {
  readonly component: string;
}

/**
 * Rules no single manifest can check: every `sample.uses` ref names a component
 * of the catalog and one of its outputs, no component uses its own output, and
 * the refs form no cycle (the conformance test runs a component's sample after
 * the samples it uses). A ref to a component whose manifest does not load is
 * left alone: that manifest's own problems say what is wrong.
 */
export function checkCatalog(entries: readonly CatalogEntry[]): CatalogProblem[] {
  const components = entries.flatMap((e) => (e.component ? [e.component] : []));
  const byName = new Map(components.map((c) => [c.name, c]));
  const broken = new Set(entries.filter((e) => !e.component).map(entryName));
  const known = [...new Set([...byName.keys(), ...broken])].sort();
  const problems: CatalogProblem[] = [];
  const sources = new Map<string, YamlSource | undefined>();
  const at = (c: Component, input: string, message: string, hint?: string) =>
    problems.push({ component: c.name, path: c.manifestPath, line: lineOf(c, ["sample", "uses", input], sources), message: `${formatPath(["sample", "uses", input])}: ${message}`, ...(hint ? { hint } : {}) });

  // edges of the graph the cycle search walks: only refs that resolve
  const edges = new Map<string, { input: string; to: string }[]>();
  for (const c of components) {
    for (const [input, ref] of Object.entries(c.sample?.uses ?? {})) {
      const { component: name, output } = parseSampleUse(ref);
      if (name === c.name) {
        at(c, input, `${c.name} cannot use its own output ${output}`, "its sample run has not made it yet; bind the input to its bundled data instead");
        continue;
      }
      if (broken.has(name)) continue;
      const target = byName.get(name);
      if (!target) {
        at(c, input, `no component "${name}" in this catalog`, didYouMean(name, known) ?? (known.length ? `components are: ${known.join(", ")}` : undefined));
        continue;
      }
      const outputs = target.outputs.map((o) => o.name);
      if (!outputs.includes(output)) {
        at(c, input, `${name} has no output "${output}"`, didYouMean(output, outputs) ?? (outputs.length ? `its outputs are: ${outputs.join(", ")}` : `${name} has no outputs`));
        continue;
      }
      edges.set(c.name, [...(edges.get(c.name) ?? []), { input, to: name }]);
    }
  }

  for (const cycle of findCycles(edges)) {
    const path = [...cycle.map((e) => e.from), cycle[0]!.from].join(" → ");
    for (const e of cycle) at(byName.get(e.from)!, e.input, `is part of a cycle of sample runs: ${path}`, "each sample can only use the output of a sample that runs before it");
  }
  return problems;
}

/** One manifest's verdict: its own problems and those between it and the rest of the catalog. */
export interface ValidationResult {
  readonly target: string;
  readonly valid: boolean;
  readonly problems: readonly Problem[];
}

/**
 * `component validate`: the named components (names or folders), or every one,
 * each checked on its own and against the whole catalog (a `sample.uses` ref
 * needs the components it names, also when only one component is validated).
 */
export function validateComponents(root: string, names: readonly string[]): ValidationResult[] {
  const targets = names.length ? names : componentDirs(root);
  const loaded = targets.map((t): { target: string; entry: CatalogEntry } => {
    try {
      const c = names.length ? findComponent(root, t) : loadComponent(t);
      return { target: c.name, entry: { dir: c.dir, component: c } };
    } catch (e) {
      if (e instanceof UserError) return { target: t.split("/").pop() ?? t, entry: { dir: t, problems: e.problems } };
      throw e;
    }
  });
  const mine = new Set(loaded.flatMap((l) => (l.entry.component ? [l.entry.component.name] : [])));
  const catalog = names.length ? [...loadCatalog(root).filter((e) => !e.component || !mine.has(e.component.name)), ...loaded.map((l) => l.entry)] : loaded.map((l) => l.entry);
  const across = checkCatalog(catalog);
  return loaded.map(({ target, entry }) => {
    const own = entry.problems ?? [];
    const between = across.filter((p) => entry.component && p.component === entry.component.name).map(({ component: _, ...p }) => p);
    const problems = [...own, ...between];
    return { target, valid: problems.length === 0, problems };
  });
}

interface Edge {
  readonly from: string;
  readonly input: string;
  readonly to: string;
}

/** Each elementary cycle once (depth-first from every name in order; a cycle is reported from its smallest name). */
function findCycles(edges: ReadonlyMap<string, readonly { input: string; to: string }[]>): Edge[][] {
  const cycles: Edge[][] = [];
  const names = [...edges.keys()].sort();
  for (const start of names) {
    const walk = (name: string, trail: Edge[], seen: Set<string>) => {
      for (const { input, to } of edges.get(name) ?? []) {
        const edge = { from: name, input, to };
        // only cycles whose smallest member is `start`: every cycle is found exactly once
        if (to === start) cycles.push([...trail, edge]);
        else if (to > start && !seen.has(to)) walk(to, [...trail, edge], new Set([...seen, to]));
      }
    };
    walk(start, [], new Set([start]));
  }
  return cycles;
}

/** Lines are needed only for the few manifests with a problem: they are read again then, not kept by every Component. */
function lineOf(c: Component, path: (string | number)[], sources: Map<string, YamlSource | undefined>): number | undefined {
  if (!sources.has(c.manifestPath)) {
    try {
      sources.set(c.manifestPath, parseYaml(readFileSync(c.manifestPath, "utf8"), c.manifestPath));
    } catch {
      sources.set(c.manifestPath, undefined);
    }
  }
  return sources.get(c.manifestPath)?.lineOf(path);
}
