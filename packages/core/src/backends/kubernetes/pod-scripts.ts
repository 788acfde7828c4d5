import { ALIVE_FILE, EVENTS_FILE, EXIT_CODE_FILE, PATHS, TRAIN_LOG_DIR } from "./pod-paths.js";

/**
 * The two small programs every pod runs besides the staging steps, in sh (any
 * image with /bin/sh and the usual tools: tee, mkfifo, sed; setsid where it
 * is): the training container's init, and the uploader.
 */

/** Seconds the training process has, after the stop signal, to end by itself before it is killed (AVES2_STOP_SECONDS in the pod changes it). */
export const TRAIN_STOP_SECONDS = 20;

/** How often the uploader saves events.jsonl while training runs (AVES2_EVENTS_UPLOAD_SECONDS in the pod changes it). */
export const EVENTS_UPLOAD_SECONDS = 60;

/**
 * The pod's grace period when it uploads: the training process has
 * TRAIN_STOP_SECONDS from SIGTERM, the uploader the rest of five minutes to
 * save what it wrote (a canceled run's outputs and logs, without the
 * completion marker). The kubelet kills whatever is left after it.
 */
export const UPLOAD_GRACE_SECONDS = 300;

/** The exit code recorded for a process stopped by the stop signal (128 + SIGTERM), whatever it returned. */
export const CANCELED_EXIT_CODE = 143;

/**
 * The training container's PID 1: the command (`"$@"`) runs as its child,
 * in a session of its own where `setsid` exists, its output teed into the
 * log file through a FIFO; a shell or python left as PID 1 would ignore
 * SIGTERM (the kernel drops signals PID 1 has no handler for) and a cancel
 * would wait out the grace period. On TERM or INT the init forwards TERM to
 * the command's process group (or the command alone), kills it after
 * TRAIN_STOP_SECONDS if it is still there, and records exit code 143. The
 * heartbeat, the tee and the killer ignore TERM (an ignored signal stays
 * ignored across exec), so the log is complete whatever the command does.
 * The exit code is written last (renamed into place), after the log.
 */
export const TRAIN_WRAPPER = [
  `L=${TRAIN_LOG_DIR}; E=${EXIT_CODE_FILE}; A=${ALIVE_FILE}; F=${PATHS.run}/train.fifo`,
  `mkdir -p "$L"; touch "$A"`,
  `(trap '' TERM INT; while :; do touch "$A"; sleep 10; done) </dev/null >/dev/null 2>&1 & hb=$!`,
  `tp=; rm -f "$F"`,
  `if command -v tee >/dev/null 2>&1 && mkfifo "$F" 2>/dev/null; then (trap '' TERM INT; exec tee -a "$L/train.log") <"$F" & tp=$!; else F=/dev/stdout; fi`,
  `t=; k=; c=; g=`,
  `sig() { if [ -n "$g" ]; then kill -"$1" -"$c" 2>/dev/null || kill -"$1" "$c" 2>/dev/null; else kill -"$1" "$c" 2>/dev/null; fi; }`,
  `stop() { [ -n "$t" ] && return; t=1; [ -z "$c" ] && return; s=\${AVES2_STOP_SECONDS:-${TRAIN_STOP_SECONDS}}; echo "aves2: stopping the training process (SIGTERM; killed in \${s}s if it goes on)" >&2; sig TERM; (trap '' TERM INT; sleep "$s"; sig KILL) </dev/null >/dev/null 2>&1 & k=$!; }`,
  // set before the command starts (a stop signal may come at once); the command's own shell resets it
  `trap stop TERM INT`,
  `if command -v setsid >/dev/null 2>&1; then g=1; setsid "$@" >"$F" 2>&1 & c=$!; else "$@" >"$F" 2>&1 & c=$!; fi`,
  `if [ -n "$t" ]; then t=; stop; fi`,
  // a wait cut short by the trap returns >128 with the command still there: wait again
  `while :; do wait "$c"; rc=$?; kill -0 "$c" 2>/dev/null || break; done`,
  `while [ -n "$tp" ] && kill -0 "$tp" 2>/dev/null; do wait "$tp"; done`,
  `if [ -n "$t" ]; then rc=${CANCELED_EXIT_CODE}; fi`,
  `[ -n "$k" ] && kill -KILL "$k" 2>/dev/null`,
  `echo $rc >"$E.tmp"; mv "$E.tmp" "$E"; kill -KILL "$hb" 2>/dev/null; exit $rc`,
].join("\n");

/**
 * Waits for the training container's exit code, then saves every (dir, uri)
 * pair given as arguments (the log folder, when it is uploaded, first). As
 * for local runs, the completion marker is written only when training
 * succeeded (what failed, or was canceled, is still uploaded). Meanwhile it
 * keeps the AVES2_EVENT lines of the log in events.jsonl, and uploads that
 * file every minute, so that a run's metrics outlive the pod log's rotation.
 *
 * A training container killed outright (out of memory) writes no exit code:
 * its heartbeat going stale for a minute ends the wait. On SIGTERM (the run
 * is canceled: every container of the pod gets it at once) it waits at most
 * 30 s more for the exit code, then uploads: the pod's grace period leaves
 * it the time (UPLOAD_GRACE_SECONDS).
 */
export function uploaderScript(guardEnv: string | undefined): string {
  return [
    ...(guardEnv ? [`if [ "\${${guardEnv}:-0}" != 0 ]; then exit 0; fi`] : []),
    `L=${TRAIN_LOG_DIR}; E=${EXIT_CODE_FILE}; A=${ALIVE_FILE}; V=${EVENTS_FILE}`,
    `t=; trap 't=1' TERM INT`,
    `ev() { if [ -f "$L/train.log" ]; then sed -n 's/^AVES2_EVENT //p' "$L/train.log" >${PATHS.run}/events.tmp && mv ${PATHS.run}/events.tmp "$V"; fi; }`,
    `n=0; w=0; p=$(( \${AVES2_EVENTS_UPLOAD_SECONDS:-${EVENTS_UPLOAD_SECONDS}} / 2 )); [ "$p" -ge 1 ] || p=1`,
    `while [ ! -f "$E" ]; do`,
    `  if [ -n "\`find "$A" -mmin +1 2>/dev/null\`" ]; then echo "stage-out: the training container ended without an exit code (killed?); uploading what it wrote" >&2; break; fi`,
    `  if [ -n "$t" ]; then w=$((w+1)); if [ $w -gt $(( (\${AVES2_STOP_SECONDS:-${TRAIN_STOP_SECONDS}} + 10) / 2 )) ]; then echo "stage-out: stopping, and the training container left no exit code: uploading what it wrote" >&2; break; fi; fi`,
    `  n=$((n+1)); if [ $((n % p)) = 0 ] && [ "$1" = "$L" ]; then ev; if [ -f "$V" ]; then component storage sync "$V" "\${2%/}/" >/dev/null 2>&1; fi; fi`,
    `  sleep 2 & wait $!`,
    `done`,
    `ev`,
    `m=; if [ -f "$E" ] && [ "\`cat "$E"\`" = 0 ]; then m=--marker; fi`,
    `if [ -n "$t" ]; then echo "stage-out: the run is stopping: uploading what it wrote" >&2; fi`,
    `rc=0; while [ $# -gt 1 ]; do component storage sync $m "$1" "$2" || rc=1; shift 2; done; exit $rc`,
  ].join("\n");
}
