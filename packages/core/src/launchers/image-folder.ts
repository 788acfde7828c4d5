import { readdir } from "node:fs/promises";
import type { Problem } from "../errors.js";
import type { Launcher } from "../launcher.js";

/** ImageFolder's classes: the sub-folders, sorted as torchvision sorts them. */
export async function imageFolderClasses(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => (e.isDirectory() || e.isSymbolicLink()) && !e.name.startsWith("."))
    .map((e) => e.name)
    .sort();
}

function preview(names: string[]): string {
  return names.length > 6 ? `${names.slice(0, 6).join(", ")}, ...` : names.join(", ");
}

/**
 * The preflight of image classifiers trained on ImageFolder data: the class
 * count param must match the class folders (a mismatch otherwise surfaces as a
 * CUDA device-side assert, or silently wrong labels, minutes into the run), and
 * validation data may not bring classes the training data lacks.
 */
export function imageFolderPreflight(names: { train: string; validation?: string; numClass: string }): NonNullable<Launcher["preflight"]> {
  return async ({ spec, inputDir }) => {
    const train = inputDir(names.train);
    if (!train) return [];
    const classes = await imageFolderClasses(train);
    if (classes.length < 2) {
      return [{ path: `--input ${names.train}`, message: `${train} has ${classes.length} class folder(s); ImageFolder data needs one folder per class, at least 2` }];
    }
    const problems: Problem[] = [];
    const numClass = spec.params.find((p) => p.name === names.numClass)?.value;
    if (numClass !== classes.length) {
      problems.push({
        path: names.numClass,
        message: `is ${numClass} but ${train} has ${classes.length} class folders (${preview(classes)})`,
        hint: `--set ${names.numClass}=${classes.length}`,
      });
    }
    const validation = names.validation ? inputDir(names.validation) : undefined;
    if (validation) {
      const missing = (await imageFolderClasses(validation)).filter((c) => !classes.includes(c));
      if (missing.length > 0) problems.push({ path: `--input ${names.validation}`, message: `has classes the training data lacks: ${preview(missing)}` });
    }
    return problems;
  };
}

/**
 * TFRecord shards (`train-00000-of-00004`, `*.tfrecord`) or a path,label CSV:
 * the Python entry opens and checks those itself (labels against the class
 * count, CRCs) before training, with the same one-line problems.
 */
async function holdsRecordsOrCsv(dir: string): Promise<boolean> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => undefined);
  if (!entries) return true; // a single TFRecord or CSV file
  return entries.some((e) => !e.isDirectory() && /-of-|\.tfrecords?$|\.csv$/i.test(e.name));
}

/**
 * The preflight of image classifiers that read ImageFolder, CSV or TFRecord
 * data: ImageFolder data is checked here (imageFolderPreflight), the other
 * formats by the entry.
 */
export function imageDataPreflight(names: { train: string; validation?: string; numClass: string }): NonNullable<Launcher["preflight"]> {
  const imageFolder = imageFolderPreflight(names);
  return async (ctx) => {
    const train = ctx.inputDir(names.train);
    if (train && (await holdsRecordsOrCsv(train))) return [];
    return imageFolder(ctx);
  };
}
