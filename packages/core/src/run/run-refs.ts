import { existsSync } from "node:fs";
import { join } from "node:path";
import type { RunRecord } from "../records/record.js";
import { withLiveness } from "../backends/local/liveness.js";
import { readRecordAt, readRecords, resolveRunDir } from "../records/run-store.js";
import { didYouMean } from "../catalog/suggest.js";
import { type Problem, UserError } from "../errors.js";
import { isLocalPath } from "@aves2/storage/uri";
import type { RunRequest } from "./request.js";
import { formatRunRef, isRunRef, parseRunRef, type RunRef } from "./run-ref.js";

/**
 * `--input name=run:<run>/<output>`: the inputs bound to another run's
 * output, turned into that output's location. A step of its own between the
 * request and the pure resolve, because it reads the run records.
 */

export interface RunRefOptions {
  /** The runs folder, where every backend records its runs. */
  readonly runsDir: string;
  /** The backend of the new run: `local` reads folders on this machine; any other reads storage URIs only. */
  readonly backend: string;
  /** The component being run: `run:latest/...` skips its own runs, so a second evaluate does not read the first's output. */
  readonly component?: string;
}

/** An output as a record knows it: the run's own folder (local runs), and where it was saved. */
interface RecordedOutput {
  readonly name: string;
  readonly dir?: string;
  readonly uri?: string;
}

const RUNS_HINT = "`component runs` lists them";
const UPLOAD_HINT = "s3://<bucket>/<prefix>/";

/**
 * The request with every `run:` input replaced by the output's location, and
 * `inputSources` saying which run it came from. A new request: the given one
 * is not changed. Every bad reference is reported at once, before anything starts.
 */
export function resolveRunRefs(request: RunRequest, opts: RunRefOptions): RunRequest {
  const refs = Object.entries(request.inputs).filter(([, raw]) => isRunRef(raw));
  if (refs.length === 0) return request;
  const problems: Problem[] = [];
  const inputs = { ...request.inputs };
  const sources = { ...request.inputSources };
  let all: RunRecord[] | undefined;
  const records = () => (all ??= newestFirst(readRecords(opts.runsDir)));
  for (const [input, raw] of refs) {
    const what = `--input ${input}`;
    try {
      const ref = parseRunRef(raw, what);
      const record = findRun(ref, opts, records, what);
      const output = recordedOutputs(record).find((o) => o.name === ref.output);
      if (!output) throw UserError.of(`run ${record.runId} has no output "${ref.output}"`, { path: what, hint: outputsHint(ref.output, record) });
      inputs[input] = locate(record, output, input, opts.backend, what);
      sources[input] = formatRunRef(record.runId, output.name);
    } catch (e) {
      if (e instanceof UserError) problems.push(...e.problems);
      else throw e;
    }
  }
  if (problems.length > 0) throw new UserError(problems);
  return { ...request, inputs, inputSources: sources };
}

function findRun(ref: RunRef, opts: RunRefOptions, records: () => RunRecord[], what: string): RunRecord {
  const sel = ref.run;
  if (sel.kind === "id") {
    let dir: string;
    try {
      dir = resolveRunDir(opts.runsDir, sel.idOrPrefix);
    } catch (e) {
      // the same "no run" / "matches N runs" as `status`, about this input
      if (e instanceof UserError) throw new UserError(e.problems.map((p) => ({ ...p, path: what })));
      throw e;
    }
    const read = readRecordAt(dir);
    if (!read) throw UserError.of(`run ${sel.idOrPrefix} has no readable record`, { path: what, hint: join(dir, "run.json") });
    const record = read.backend === "local" ? withLiveness(dir, read) : read;
    checkSucceeded(record, what);
    return record;
  }
  const succeeded = records().filter((r) => r.state === "succeeded");
  if (sel.kind === "component-latest") {
    const hit = succeeded.find((r) => r.component.name === sel.component);
    if (!hit) {
      const names = [...new Set(records().map((r) => r.component.name))];
      throw UserError.of(`no succeeded run of ${sel.component}`, { path: what, hint: didYouMean(sel.component, names) ?? RUNS_HINT });
    }
    return hit;
  }
  const others = succeeded.filter((r) => r.component.name !== opts.component);
  const hit = others.find((r) => recordedOutputs(r).some((o) => o.name === ref.output));
  if (!hit) {
    const names = [...new Set(others.flatMap((r) => recordedOutputs(r).map((o) => o.name)))];
    const self = opts.component ? ` (runs of ${opts.component} itself are not counted)` : "";
    throw UserError.of(`no succeeded run has an output "${ref.output}"${self}`, { path: what, hint: didYouMean(ref.output, names) ?? RUNS_HINT });
  }
  return hit;
}

function checkSucceeded(r: RunRecord, what: string): void {
  const remote = r.backend !== "local" ? `; \`component status ${r.runId}\` updates its record` : "";
  switch (r.state) {
    case "succeeded":
      return;
    case "failed":
      throw UserError.of(`run ${r.runId} failed: its outputs may be partial`, { path: what, hint: `use a succeeded run; ${RUNS_HINT}` });
    case "canceled":
      throw UserError.of(`run ${r.runId} was canceled: its outputs may be partial`, { path: what, hint: `use a succeeded run; ${RUNS_HINT}` });
    default:
      throw UserError.of(`run ${r.runId} is still ${r.state}: its outputs are not complete yet`, { path: what, hint: `wait for it to succeed${remote}` });
  }
}

/** A local run's record has its own output folders (plan.outputs); others only the URIs they saved to (spec.outputs). */
function recordedOutputs(r: RunRecord): readonly RecordedOutput[] {
  if (r.backend === "local") return (r.plan as { outputs?: readonly RecordedOutput[] }).outputs ?? [];
  return Object.entries(r.spec.outputs ?? {}).map(([name, uri]) => ({ name, uri }));
}

function outputsHint(name: string, r: RunRecord): string {
  const names = recordedOutputs(r).map((o) => o.name);
  return didYouMean(name, names) ?? (names.length ? `its outputs: ${names.join(", ")}` : "it saved no outputs");
}

const inStorage = (uri: string | undefined): uri is string => uri !== undefined && !isLocalPath(uri) && !/^file:/i.test(uri);

/**
 * Where the new run reads the output. Locally: the run's own folder while it
 * is there, else where it was saved. Elsewhere: where it was saved, and only
 * if that is storage a job can read (never a folder on this machine).
 */
function locate(r: RunRecord, o: RecordedOutput, input: string, backend: string, what: string): string {
  if (backend === "local") {
    if (o.dir && existsSync(o.dir)) return o.dir;
    if (o.uri) return o.uri;
    throw UserError.of(`output ${o.name} of run ${r.runId} is no longer on this machine (${o.dir}) and was saved nowhere else`, {
      path: what,
      hint: `run ${r.component.name} again`,
    });
  }
  if (inStorage(o.uri)) return o.uri;
  const where = o.uri ?? o.dir;
  const job = backend === "aves2" ? "an AVES2 job" : `a ${backend} job`;
  throw UserError.of(`output ${o.name} of run ${r.runId} was kept only on this machine${where ? ` (${where})` : ""}, where ${job} cannot read it`, {
    path: what,
    hint: `run ${r.component.name} again with --output ${o.name}=${UPLOAD_HINT}, or upload it with \`component storage sync ${where ?? "<dir>"} ${UPLOAD_HINT}\` and pass --input ${input}=${UPLOAD_HINT}`,
  });
}

/** Newest first by creation time; the run id breaks ties, so the same records always give the same pick. */
function newestFirst(records: RunRecord[]): RunRecord[] {
  return records.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.runId.localeCompare(a.runId));
}
