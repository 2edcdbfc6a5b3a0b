#!/usr/bin/env bash
# Build the execution environment image (docs/awx.md).
#   bash execution-environment/build.sh [IMAGE_TAG] [extra ansible-builder build options]
# Run from anywhere; needs ansible-galaxy and ansible-builder (make venv) and
# podman or docker (ansible-builder --container-runtime docker for the latter).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tag="${1:-sorrypage-aws-ee:latest}"
shift || true
# The collection itself goes in as the tarball the definition expects next to it.
rm -rf "$here"/sorrypage-aws-*.tar.gz "$here/context"
ansible-galaxy collection build --force --output-path "$here" "$here/.."
ansible-builder build --tag "$tag" --file "$here/execution-environment.yml" --context "$here/context" "$@"
