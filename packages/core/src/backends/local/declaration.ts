import type { BackendDeclaration } from "../declaration.js";

/** The local backend (the default), as the registry lists it. Its interpreter is a setting (--python, AVES2_PYTHON, config), not a run option. */
export const localBackend: BackendDeclaration = {
  name: "local",
  title: "local",
  summary: "this machine: a process, or one per worker for PYTORCH_DDP; runs recorded under .aves2/runs/",
  remote: false,
  options: [],
  load: () => import("./index.js"),
  // every local run is carried by a supervisor process: started now, it loads while the CLI plans
  // (imported here, not above: the CLI reads this file at every start)
  warm: () => void import("./supervisor-process.js").then((m) => m.warmSupervisor()),
};
