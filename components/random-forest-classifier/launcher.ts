import { type Launcher, tablePreflight } from "@aves2/core";

const launcher: Launcher = {
  preflight: tablePreflight({ data: "data_dir", files: ["train.csv"], task: "classification", target: "target", validation: "val.csv" }),
};

export default launcher;
