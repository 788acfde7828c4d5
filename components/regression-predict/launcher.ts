import { type Launcher, tablePreflight } from "@aves2/core";

const launcher: Launcher = {
  preflight: tablePreflight({ data: "data_dir", files: ["test.csv", "val.csv", "train.csv"], task: "regression", target: "target", targetOptional: true, model: "model_dir" }),
};

export default launcher;
