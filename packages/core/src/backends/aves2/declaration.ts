import type { BackendDeclaration } from "../declaration.js";

/** The AVES2 backend, as the registry lists it, and the options its runs take. */
export const aves2Backend: BackendDeclaration = {
  name: "aves2",
  title: "AVES2",
  summary: "an AVES2 server, through its REST API, as the AVES2 client submits (server and token from ~/.aves2/aves2.cfg, AVES2_HOST or --aves2-host)",
  remote: true,
  options: [
    {
      name: "debug-job",
      key: "debug",
      type: "boolean",
      help: "AVES2 `debug: true`: the server keeps the job's pods after it ends",
    },
  ],
  load: () => import("./index.js"),
};
