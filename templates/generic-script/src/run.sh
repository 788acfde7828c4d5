#!/bin/sh
# The process contract in plain sh: every param, input and output arrives as
# "--name value"; progress and metrics go to stdout as AVES2_EVENT JSON lines.
set -eu

message="" repeat=1 input_dir="" output_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --message) message=$2 ;;
    --repeat) repeat=$2 ;;
    --input_dir) input_dir=$2 ;;
    --output_dir) output_dir=$2 ;;
    *) echo "error: unknown argument $1" >&2; exit 2 ;;
  esac
  shift 2
done

files=$(find "$input_dir/" -type f | wc -l | tr -d ' ')
echo "counting: $files file(s) in the input"
step=1
while [ "$step" -le "$repeat" ]; do
  echo "AVES2_EVENT {\"type\":\"progress\",\"epoch\":$step,\"epochs\":$repeat,\"step\":1,\"steps\":1}"
  echo "AVES2_EVENT {\"type\":\"metric\",\"epoch\":$step,\"epochs\":$repeat,\"files\":$files}"
  echo "step $step/$repeat"
  step=$((step + 1))
done

mkdir -p "$output_dir"
# printf, not echo: the message is data and may hold backslashes or dashes
printf '%s\nfiles: %s\n' "$message" "$files" > "$output_dir/result.txt"
echo "AVES2_EVENT {\"type\":\"summary\",\"metrics\":{\"files\":$files}}"
