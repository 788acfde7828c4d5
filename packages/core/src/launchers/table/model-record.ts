import { isUtf8 } from "node:buffer";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Problem } from "../../errors.js";
import type { TableColumn, TableTask } from "./types.js";

export const MODEL_FORMAT = "aves2-sklearn-model/1";
export const MODEL_RECORD_FILE = "model.json";

/** The part of a training run's model.json that reading rows for the model needs (TABLES.md). */
export interface ModelRecord {
  readonly format: typeof MODEL_FORMAT;
  readonly file: string;
  readonly sha256: string;
  readonly task: TableTask;
  readonly component?: string;
  readonly target?: string;
  readonly features: readonly TableColumn[];
  readonly classes?: readonly string[];
}

const TASKS: readonly string[] = ["classification", "regression", "clustering"];

/** Which components read a model of each task (the hint of a model of the wrong task). */
const READERS: Record<TableTask, string> = {
  classification: "use classification-evaluate or classification-predict",
  regression: "use regression-evaluate or regression-predict",
  clustering: "a clustering model has no evaluate or predict component",
};

/** A model folder's record of this task, or the problem with it (absent, not ours, of another task). */
export async function readModelRecord(folder: string, task: TableTask): Promise<{ record: ModelRecord } | { problem: Problem }> {
  const path = join(folder, MODEL_RECORD_FILE);
  if (!(await isFile(path))) {
    return {
      problem: {
        path: folder,
        message: `has no ${MODEL_RECORD_FILE}: it holds no model written by this catalog's training components`,
        hint: "train one, then pass --input model_dir=run:<run-id>/output_path",
      },
    };
  }
  const parsed = parseRecord(await readFile(path));
  if (typeof parsed === "string") {
    return { problem: { path: folder, message: `${MODEL_RECORD_FILE} is not a model record of this catalog (${parsed})`, hint: "train the model again with a component of this catalog" } };
  }
  if (parsed.task === task) return { record: parsed };
  return {
    problem: { path: folder, message: `holds a ${parsed.task} model (trained by ${parsed.component ?? "an unknown component"}), not a ${task} model`, hint: READERS[parsed.task] },
  };
}

/** The record, or why it is none (the words TABLES.md gives, which the Python reader uses too). */
function parseRecord(bytes: Buffer): ModelRecord | string {
  let r: unknown;
  try {
    if (!isUtf8(bytes)) return "not JSON";
    r = JSON.parse(bytes.toString("utf8"));
  } catch {
    return "not JSON";
  }
  if (typeof r !== "object" || r === null || Array.isArray(r)) return "not a JSON object";
  const o = r as Record<string, unknown>;
  if (typeof o.format !== "string") return 'no "format"';
  if (o.format !== MODEL_FORMAT) return `format "${o.format}", not "${MODEL_FORMAT}"`;
  for (const key of ["file", "sha256", "task"]) {
    if (o[key] === undefined) return `no "${key}"`;
    if (typeof o[key] !== "string") return `"${key}" is not a string`;
  }
  if (!TASKS.includes(o.task as string)) return `unknown task "${o.task}"`;
  if (o.features === undefined) return 'no "features"';
  if (!Array.isArray(o.features) || !o.features.every(isColumn)) return '"features" is not a list of {name, kind}';
  return o as unknown as ModelRecord;
}

function isColumn(f: unknown): f is TableColumn {
  const c = f as Partial<TableColumn> | null;
  return typeof c === "object" && c !== null && typeof c.name === "string" && (c.kind === "numeric" || c.kind === "categorical");
}

/** The model file the record names: there, and of the recorded SHA-256 (a pickle is code once loaded). */
export async function checkModelFile(folder: string, record: ModelRecord): Promise<Problem | undefined> {
  // a name, never a path out of the folder
  const name = basename(record.file);
  const path = join(folder, name);
  if (!(await isFile(path))) return { path: folder, message: `${MODEL_RECORD_FILE} names ${name}, which is not there`, hint: "copy the whole output folder of the training run" };
  const actual = await sha256File(path);
  if (actual === record.sha256) return undefined;
  return {
    path: folder,
    message: `${name} does not match ${MODEL_RECORD_FILE} (SHA-256 ${actual.slice(0, 12)} ≠ ${record.sha256.slice(0, 12)}): it was changed or damaged after training`,
    hint: "train again, or copy the model folder as a whole",
  };
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}
