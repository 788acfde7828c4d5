#!/usr/bin/env node
/**
 * `aves2-storage sync <src> <dst> [--marker] [--json]`: `component storage
 * sync` without the rest of the tool, for the staging image (its
 * `component` runs this). The endpoint, region and credentials come from
 * the environment, ~/.aws and ~/.aves2/aves2.cfg, as the tool reads them.
 */
import { readFileSync } from "node:fs";

const USAGE = `usage: aves2-storage sync <src> <dst> [--marker] [--json]

Copies new and changed files from <src> to <dst>: a local folder to s3://, or s3:// to a local
folder (nothing is deleted). --marker writes a completion marker (_SUCCESS) last; --json prints
progress and the result as JSON lines. (As \`component storage sync\`, with the same engine.)
`;

function version(): string {
  return (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
}

async function main(argv: readonly string[]): Promise<number> {
  const args = argv[0] === "storage" ? argv.slice(1) : argv;
  if (args.includes("--version") || args.includes("-V")) {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (args.length === 0 || args.includes("--help") || args.includes("-h")) {
    process.stdout.write(USAGE);
    return args.length === 0 ? 2 : 0;
  }
  const [verb, ...rest] = args;
  const flags = new Set(rest.filter((a) => a.startsWith("--") && a !== "--debug"));
  const operands = rest.filter((a) => !a.startsWith("--"));
  const unknown = [...flags].filter((f) => f !== "--marker" && f !== "--json");
  if (verb !== "sync" || operands.length !== 2 || unknown.length) {
    process.stderr.write(`error: ${verb !== "sync" ? `unknown command "${verb}"` : unknown.length ? `unknown option '${unknown[0]}'` : "sync takes <src> and <dst>"}\n${USAGE}`);
    return 2;
  }
  const { isUserError, formatProblem, resolveS3Config, s3Settings, syncUris } = await import("./index.js");
  const { TransferView, syncResultLine } = await import("./transfer-view.js");
  const json = flags.has("--json");
  const view = new TransferView(json ? process.stdout : process.stderr, json ? "json" : process.stderr.isTTY ? "tty" : "lines");
  try {
    const t = await syncUris(operands[0]!, operands[1]!, {
      cwd: process.cwd(),
      s3: s3Settings(resolveS3Config([], process.env)),
      progress: (u) => view.update(u),
      ...(flags.has("--marker") ? { marker: true } : {}),
    });
    view.clear();
    process.stdout.write(json ? `${JSON.stringify({ type: "result", ...t })}\n` : syncResultLine(t));
    return 0;
  } catch (e) {
    view.clear();
    if (!isUserError(e)) throw e;
    for (const p of e.problems) process.stderr.write(`error: ${formatProblem(p)}\n`);
    return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
