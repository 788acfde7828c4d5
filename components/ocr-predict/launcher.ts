import { existsSync } from "node:fs";
import { checkModelDir, type Launcher } from "@aves2/core";

/** Before the run starts (exit 2, nothing created): a model_save_dir that is not crnn-ocr's, a missing image_path. */

const launcher: Launcher = {
  async preflight({ inputDir }) {
    const model = inputDir("model_save_dir");
    if (model) {
      const problems = checkModelDir(model, "ocr-predict");
      if (problems.length) return problems;
    }
    const images = inputDir("image_path");
    if (images && !existsSync(images)) return [{ path: "--image_path", message: `${images} does not exist` }];
    return [];
  },
};

export default launcher;
