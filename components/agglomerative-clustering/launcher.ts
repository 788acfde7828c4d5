import { type Launcher, tablePreflight } from "@aves2/core";

const launcher: Launcher = {
  preflight: tablePreflight({ data: "data_dir", files: ["data.csv", "train.csv"], task: "clustering", clusters: "n_clusters" }),
};

export default launcher;
