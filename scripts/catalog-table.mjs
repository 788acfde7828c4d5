#!/usr/bin/env node
// `pnpm catalog:table`: writes the README's catalog table from the components'
// manifests, between <!-- catalog:begin --> and <!-- catalog:end -->.
// `--check` leaves the file alone and exits 1 when the table is stale (a test
// runs it, so adding a component without regenerating the table fails CI).
// `--root <dir>` reads another catalog (its README.md, unless `--readme <file>`).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const BEGIN = "<!-- catalog:begin -->";
const END = "<!-- catalog:end -->";
const REGENERATE = "pnpm catalog:table";
const USAGE = "usage: node scripts/catalog-table.mjs [--check] [--root <catalog dir>] [--readme <file>]";

function fail(message, code = 2) {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function parseArgs(argv) {
  const opts = { check: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--check") opts.check = true;
    else if (a === "--root" || a === "--readme") {
      const v = argv[++i];
      if (!v) fail(`${a} needs a value\n${USAGE}`);
      opts[a.slice(2)] = v;
    } else fail(`unknown argument "${a}"\n${USAGE}`);
  }
  return opts;
}

/** A table cell: one line, with the characters that would end the cell escaped. */
const cell = (s) => String(s).replace(/\s+/g, " ").replace(/\|/g, "\\|").trim();
const code = (s) => `\`${s}\``;
const count = (n) => `${n} component${n === 1 ? "" : "s"}`;

/** The Markdown between the markers: one table, a bold row per category, its components under it by name. */
function renderTable(groups, readmeDir, describeSample) {
  const rows = [
    "| component | replaces (upstream folder) | framework | title | sample check |",
    "| --- | --- | --- | --- | --- |",
  ];
  for (const g of groups) {
    rows.push(`| **${cell(g.category)}** (${g.entries.length}) | | | | |`);
    for (const { component: c } of g.entries) {
      const link = relative(readmeDir, c.dir).split(sep).join("/");
      rows.push(
        `| [${code(c.name)}](${link}/) | ${c.upstream ? code(cell(c.upstream)) : "-"} | ${c.framework} | ${cell(c.title)} | ${c.sample ? cell(describeSample(c.sample)) : "-"} |`,
      );
    }
  }
  return [`<!-- generated from the components' manifests by \`${REGENERATE}\`: edit those, not this table -->`, "", ...rows].join("\n");
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const root = resolve(opts.root ?? REPO);
  const readme = resolve(opts.readme ?? join(root, "README.md"));
  const shown = relative(process.cwd(), readme) || readme;
  const dist = join(REPO, "packages/core/dist/catalog/index.js");
  if (!existsSync(dist)) fail(`${dist} is missing: build first (pnpm build)`);
  const { describeSample, formatProblem, groupByCategory, loadCatalog } = await import(dist);

  const entries = loadCatalog(root);
  const broken = entries.filter((e) => !e.component);
  if (broken.length) {
    fail(
      [`the catalog table needs every manifest to load; \`component validate\` says more:`, ...broken.flatMap((e) => e.problems.map((p) => `  ${formatProblem(p)}`))].join(
        "\n",
      ),
    );
  }

  if (!existsSync(readme)) fail(`${shown}: no such file`);
  const text = readFileSync(readme, "utf8");
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (begin < 0 || end < begin) fail(`${shown}: no ${BEGIN} ... ${END} markers to write the catalog table between`);

  const table = renderTable(groupByCategory(entries), dirname(readme), describeSample);
  // blank line after the table: Markdown ends a table at one, whatever follows
  const next = `${text.slice(0, begin + BEGIN.length)}\n${table}\n\n${text.slice(end)}`;
  if (opts.check) {
    if (next !== text) fail(`${shown}: the catalog table is stale; regenerate it with \`${REGENERATE}\``, 1);
    return;
  }
  if (next === text) {
    process.stdout.write(`${shown}: the catalog table is up to date (${count(entries.length)})\n`);
    return;
  }
  writeFileSync(readme, next);
  process.stdout.write(`${shown}: wrote the catalog table (${count(entries.length)})\n`);
}

await main();
