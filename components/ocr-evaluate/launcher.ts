import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { checkModelDir, checkSampleTxt, type Launcher, readCharDict, splitFile } from "@aves2/core";

/**
 * Before the run starts (exit 2, nothing created): a model_save_dir that is not
 * crnn-ocr's, no sample.txt, an empty one, a missing image, a label with characters
 * the model does not know (its char_dict.json). The checks are core's (launchers/).
 */

const launcher: Launcher = {
  async preflight({ inputDir }) {
    const model = inputDir("model_save_dir");
    if (model) {
      const problems = checkModelDir(model, "ocr-evaluate");
      if (problems.length) return problems;
    }
    const dataset = inputDir("dataset_dir");
    if (!dataset || !existsSync(dataset)) return [];
    const file = statSync(dataset).isFile() ? dataset : existsSync(join(dataset, "sample.txt")) ? join(dataset, "sample.txt") : (splitFile(dataset, "Test") ?? splitFile(dataset, "Validation"));
    if (!file) return [{ path: "--dataset_dir", message: `${dataset} has no Test/sample.txt, Validation/sample.txt or sample.txt`, hint: 'the upstream layout: Test/sample.txt with lines "path label"' }];
    const dict = model && statSync(model).isDirectory() && existsSync(join(model, "char_dict.json")) ? join(model, "char_dict.json") : undefined;
    const chars = dict ? readCharDict(dict) : undefined;
    if (chars && !(chars instanceof Set)) return [chars];
    return checkSampleTxt(file, chars, "the model's characters");
  },
};

export default launcher;
