import { type Launcher, tablePreflight } from "@aves2/core";

const launcher: Launcher = {
  preflight: tablePreflight({ data: "data_dir", files: ["val.csv", "test.csv"], task: "classification", target: "target", model: "model_dir" }),
};

export default launcher;
