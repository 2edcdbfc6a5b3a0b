#!/usr/bin/env bash
# `make test`: every stage, with `ansible-test sanity` running alongside the
# others. Sanity works on one core for ~1.5 min (longer on a fresh machine,
# where it first installs its requirements into a venv of its own) and on its
# own copy of the collection (hack/ansible-test.sh), so lint, units and
# integration go on meanwhile; its output is printed after theirs. Every
# stage runs even when one fails; the exit status says whether all passed,
# and the last line names the stages that failed.
set -uo pipefail
cd "$(dirname "$0")/.."
make=${MAKE:-make}
mkdir -p tests/output
log=tests/output/sanity.log
stage() { date -u +"== %T UTC $*"; }

stage "sanity (alongside the stages below; its output follows them, from $log)"
bash hack/ansible-test.sh sanity > "$log" 2>&1 &
sanity=$!
trap 'kill "$sanity" 2>/dev/null; exit 130' INT TERM

failed=()
stage lint
"$make" --no-print-directory lint || failed+=(lint)
stage units
bash hack/ansible-test.sh units || failed+=(units)
stage integration
"$make" --no-print-directory integration || failed+=(integration)

stage "sanity: waiting for it to end"
wait "$sanity" || failed+=(sanity)
cat "$log"
stage done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "make test: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "make test: sanity, lint, units and integration passed"
