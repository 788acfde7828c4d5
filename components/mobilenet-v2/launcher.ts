import { readdir } from "node:fs/promises";
import type { Launcher, Problem } from "@aves2/core";

/** ImageFolder's classes: the sub-folders, as torchvision sorts them. */
async function classFolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => (e.isDirectory() || e.isSymbolicLink()) && !e.name.startsWith("."))
    .map((e) => e.name)
    .sort();
}

const launcher: Launcher = {
  /**
   * num_class must match the dataset: a mismatch would otherwise surface as a
   * CUDA device-side assert (or silently wrong labels) minutes into the run.
   */
  async preflight({ spec, inputDir }) {
    const train = inputDir("train_data_dir");
    if (!train) return [];
    const classes = await classFolders(train);
    const problems: Problem[] = [];
    if (classes.length < 2) {
      problems.push({ path: "--input train_data_dir", message: `${train} has ${classes.length} class folder(s); ImageFolder data needs one folder per class, at least 2` });
      return problems;
    }
    const numClass = spec.params.find((p) => p.name === "num_class")?.value;
    if (numClass !== classes.length) {
      problems.push({
        path: "num_class",
        message: `is ${numClass} but ${train} has ${classes.length} class folders (${preview(classes)})`,
        hint: `--set num_class=${classes.length}`,
      });
    }
    const validation = inputDir("validation_data_dir");
    if (validation) {
      const vclasses = await classFolders(validation);
      const missing = vclasses.filter((c) => !classes.includes(c));
      if (missing.length > 0) {
        problems.push({ path: "--input validation_data_dir", message: `has classes the training data lacks: ${preview(missing)}` });
      }
    }
    return problems;
  },
};

function preview(names: string[]): string {
  return names.length > 6 ? `${names.slice(0, 6).join(", ")}, ...` : names.join(", ");
}

export default launcher;
