import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { checkSampleTxt, type Launcher, readCharDict, splitFile } from "@aves2/core";

/**
 * Before the run starts (exit 2, nothing created), the mistakes a user makes most with
 * the upstream CRNN layout: no Train/sample.txt, an empty one, a line without a label,
 * a missing image (with its line), a label with characters a given char_dict.json
 * lacks. The checks are core's (launchers/text-lines.ts); the entry checks again.
 */

/** char_dict.json in `path` (a folder) or `path` itself. */
function charDictFile(path: string): string | undefined {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, "char_dict.json") : path;
  return existsSync(file) ? file : undefined;
}

const launcher: Launcher = {
  async preflight({ inputDir }) {
    const dataset = inputDir("dataset_dir");
    if (!dataset) return [];
    const train = splitFile(dataset, "Train");
    if (!train) return [{ path: "--dataset_dir", message: `${dataset} has no Train/sample.txt`, hint: "the upstream layout: Train/sample.txt, Validation/sample.txt, Test/sample.txt" }];
    const given = inputDir("char_dict_path");
    const dictFile = given ? charDictFile(given) : charDictFile(join(dataset, "char_dict.json"));
    if (given && !dictFile) return [{ path: given, message: "has no char_dict.json" }];
    const chars = dictFile ? readCharDict(dictFile) : undefined;
    if (chars && !(chars instanceof Set)) return [chars];
    for (const file of [train, splitFile(dataset, "Validation")]) {
      if (!file) continue;
      const problems = checkSampleTxt(file, chars, dictFile);
      if (problems.length) return problems;
    }
    return [];
  },
};

export default launcher;
