#!/usr/bin/env bash
# Build the execution environment image (docs/awx.md).
#   bash execution-environment/build.sh [IMAGE_TAG] [extra ansible-builder build options]
# Run from anywhere; needs git, ansible-galaxy and ansible-builder (make venv)
# and podman (or docker: add --container-runtime docker).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tag="${1:-sorrypage-aws-ee:latest}"
shift || true
# The image holds the committed collection (git archive HEAD), not what a
# working tree also has (.ansible/, caches, uncommitted edits).
src="$(mktemp -d)"
trap 'rm -rf "$src"' EXIT
git -C "$here/.." archive HEAD | tar -x -C "$src"
# The collection goes in as the tarball the definition expects next to it.
rm -rf "$here"/sorrypage-aws-*.tar.gz "$here/context"
ansible-galaxy collection build --force --output-path "$here" "$src"
ansible-builder build --tag "$tag" --file "$here/execution-environment.yml" --context "$here/context" "$@"
