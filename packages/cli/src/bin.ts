#!/usr/bin/env node
import { report } from "./errors.js";
import { program } from "./program.js";

// `pnpm component ...` runs from the repo root; relative paths the user typed are relative to where they typed them.
if (process.env.INIT_CWD && process.env.npm_lifecycle_event === "component") {
  try {
    process.chdir(process.env.INIT_CWD);
  } catch {
    // a vanished directory: stay at the root
  }
}

// `component list | head`: the reader left; stop quietly instead of dying on EPIPE
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
}

const debug = process.argv.includes("--debug");
try {
  await program().parseAsync(process.argv);
} catch (e) {
  process.exitCode = await report(e, debug);
}
