import type { BackendDeclaration } from "../declaration.js";

/** The local backend (the default), as the registry lists it. Its interpreter is a setting (--python, AVES2_PYTHON, config), not a run option. */
export const localBackend: BackendDeclaration = {
  name: "local",
  title: "local",
  summary: "this machine: a process, or one per worker for PYTORCH_DDP; runs recorded under .aves2/runs/",
  remote: false,
  options: [],
  load: () => import("./index.js"),
};
