/** Where things are in a run's pod (see staging.ts for the data flow). */
export const PATHS = {
  code: "/aves2/code",
  data: "/aves2/data",
  output: "/aves2/output",
  run: "/aves2/run",
  mnt: "/aves2/mnt",
  /** Where the staging image holds this repository's components and shared libraries. */
  image: "/opt/aves2",
} as const;

export const EXIT_CODE_FILE = `${PATHS.run}/exit-code`;
export const TRAIN_LOG_DIR = `${PATHS.run}/logs`;
/** The process's AVES2_EVENT lines (their JSON), beside its whole log: uploaded with the logs, read back when the pod's log no longer holds them. */
export const EVENTS_FILE = `${TRAIN_LOG_DIR}/events.jsonl`;

/** Touched every 10 s while the training container lives: a container killed outright (OOM) writes no exit code. */
export const ALIVE_FILE = `${PATHS.run}/alive`;
