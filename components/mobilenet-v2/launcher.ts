import { imageDataPreflight, type Launcher } from "@aves2/core";

const launcher: Launcher = {
  preflight: imageDataPreflight({ train: "train_data_dir", validation: "validation_data_dir", numClass: "num_class" }),
};

export default launcher;
