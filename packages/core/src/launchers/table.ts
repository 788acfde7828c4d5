import { join } from "node:path";
import type { Problem } from "../errors.js";
import type { Launcher } from "../launcher.js";
import type { RunSpec } from "../run/spec.js";
import { checkCsv } from "./table/csv-check.js";
import { checkModelFile, isFile, type ModelRecord, readModelRecord } from "./table/model-record.js";
import type { TableSummary, TableTask } from "./table/types.js";

export { type CsvCheck, checkCsv } from "./table/csv-check.js";
export type { ColumnKind, CsvRules, ModelColumns, TableColumn, TableSummary, TableTask } from "./table/types.js";
export { checkModelFile, MODEL_FORMAT, MODEL_RECORD_FILE, type ModelRecord, readModelRecord, sha256File } from "./table/model-record.js";

/** One read of the tabular family, as TABLES.md states it (and cases.json tests it). */
export interface TableRead {
  /** The data folder. */
  readonly dir: string;
  /** Candidates in order: the first that exists is read. */
  readonly files: readonly string[];
  readonly task: TableTask;
  /** The target column; unset or empty: the model's, else the last column. */
  readonly target?: string;
  /** The target column may be absent, and its values are not checked (predict). */
  readonly targetOptional?: boolean;
  /** The model folder (evaluate, predict). */
  readonly model?: string;
  readonly clusters?: { readonly param: string; readonly value: number };
}

export type TableResult = { readonly ok: true; readonly summary: TableSummary } | { readonly ok: false; readonly problems: readonly Problem[] };

/**
 * Checks a read's model folder, then its CSV (TABLES.md: a model folder is
 * checked before the data file is read), so the problem is the one the
 * Python reader reports. A model folder's problem stops there: the model
 * names the target and the columns the rows are read with, and rows judged
 * against a model that will not load would only add noise to the one message.
 */
export async function readTable(read: TableRead): Promise<TableResult> {
  let record: ModelRecord | undefined;
  if (read.model) {
    const r = await readModelRecord(read.model, read.task);
    if ("problem" in r) return { ok: false, problems: [r.problem] };
    record = r.record;
    const file = await checkModelFile(read.model, record);
    if (file) return { ok: false, problems: [file] };
  }
  const file = await pickFile(read);
  if ("problem" in file) return { ok: false, problems: [file.problem] };
  const csv = await checkCsv(file.path, {
    task: read.task,
    ...(read.target ? { target: read.target } : {}),
    ...(read.targetOptional ? { targetOptional: true } : {}),
    ...(record ? { model: record } : {}),
    ...(read.clusters ? { clusters: read.clusters } : {}),
  });
  return csv.ok ? { ok: true, summary: csv.summary } : { ok: false, problems: [csv.problem] };
}

async function pickFile({ dir, files }: TableRead): Promise<{ path: string } | { problem: Problem }> {
  for (const name of files) {
    const path = join(dir, name);
    if (await isFile(path)) return { path };
  }
  const hint = `the data folder needs a ${files[0]}`;
  if (files.length === 1) return { problem: { path: join(dir, files[0]!), message: "does not exist", hint } };
  return { problem: { path: dir, message: `has none of ${files.join(", ")}`, hint } };
}

export interface TablePreflightOptions {
  /** The input holding the CSV files. */
  readonly data: string;
  /** Candidates in order: the first that exists is read. */
  readonly files: readonly string[];
  readonly task: TableTask;
  /** The param naming the target column. */
  readonly target?: string;
  /** Predict: the target column may be absent (then nothing is dropped). */
  readonly targetOptional?: boolean;
  /** The input holding a model folder (evaluate, predict). */
  readonly model?: string;
  /** A param that may not exceed the row count (`n_clusters`). */
  readonly clusters?: string;
  /**
   * A file of the data folder read too when it is there, with the columns and
   * target of the file read first (training's val.csv: the run reads it so).
   */
  readonly validation?: string;
}

/**
 * The preflight of the tabular family: bad rows or a wrong model folder are
 * refused before a local run starts (exit code 2, nothing written), in the
 * words the run itself would use. Inputs that are unbound or not local are
 * left to the run, which reads them on every backend.
 */
export function tablePreflight(opts: TablePreflightOptions): NonNullable<Launcher["preflight"]> {
  return async ({ spec, inputDir }) => {
    const dir = inputDir(opts.data);
    if (!dir) return [];
    const model = opts.model ? inputDir(opts.model) : undefined;
    // without the model its rows cannot be judged: the model names the target and the columns
    if (opts.model && !model) return [];
    const target = opts.target ? param(spec, opts.target) : undefined;
    const k = opts.clusters ? param(spec, opts.clusters) : undefined;
    const r = await readTable({
      dir,
      files: opts.files,
      task: opts.task,
      ...(typeof target === "string" && target !== "" ? { target } : {}),
      ...(opts.targetOptional ? { targetOptional: true } : {}),
      ...(model ? { model } : {}),
      ...(opts.clusters && typeof k === "number" ? { clusters: { param: opts.clusters, value: k } } : {}),
    });
    if (!r.ok) return r.problems;
    if (!opts.validation) return [];
    const path = join(dir, opts.validation);
    if (!(await isFile(path))) return [];
    const val = await checkCsv(path, { task: opts.task, ...(r.summary.target ? { target: r.summary.target } : {}), model: { ...(r.summary.target ? { target: r.summary.target } : {}), features: r.summary.columns } });
    return val.ok ? [] : [val.problem];
  };
}

function param(spec: RunSpec, name: string): unknown {
  return spec.params.find((p) => p.name === name)?.value;
}
