#!/usr/bin/env bash
# Runs ansible-test on this repository. ansible-test wants the collection at
# .../ansible_collections/sorrypage/aws with its dependencies beside it, so
# this copies the tracked files into a temporary tree, links amazon.aws and
# kubernetes.core from the `ansible` package in .venv, and seeds the pip
# bootstrap cache (the download ansible-test would make is blocked here).
# Usage: hack/ansible-test.sh sanity|units [extra ansible-test args]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
venv="$here/.venv"
py="$venv/bin/python"
site=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')

work=$(mktemp -d /tmp/sorrypage-ansible-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
coll="$work/ansible_collections/sorrypage/aws"
mkdir -p "$coll" "$work/ansible_collections/amazon" "$work/ansible_collections/kubernetes"
ln -s "$site/ansible_collections/amazon/aws" "$work/ansible_collections/amazon/aws"
ln -s "$site/ansible_collections/kubernetes/core" "$work/ansible_collections/kubernetes/core"
(cd "$here" && git ls-files -co --exclude-standard -z | grep -zv '^\.collections' | \
  xargs -0 -I{} cp --parents -P {} "$coll/" 2>/dev/null || true)
# ansible-test decides what to test from git; give the copy its own repo.
(cd "$coll" && git init -q && git add -A && git -c user.email=t@t -c user.name=t commit -qm snapshot)

pip_ver=$("$py" - <<'PY'
import re, ansible_test._internal.python_requirements as r
m = re.search(r"pip='([^']+)'", open(r.__file__).read())
print(m.group(1) if m else '')
PY
)
if [ -n "$pip_ver" ]; then
  cache="$HOME/.ansible/test/cache/get_pip_${pip_ver//./_}.py"
  mkdir -p "$(dirname "$cache")"
  cp "$here/hack/get_pip_ensurepip.py" "$cache"
fi

cmd=$1; shift
cd "$coll"
export PATH="$venv/bin:$PATH"
case "$cmd" in
  sanity) "$venv/bin/ansible-test" sanity --venv --python 3.11 --requirements "$@" ;;
  units) "$venv/bin/ansible-test" units --venv --python 3.11 --requirements "$@" ;;
  *) "$venv/bin/ansible-test" "$cmd" "$@" ;;
esac
status=$?
mkdir -p "$here/tests/output"
cp -r "$coll/tests/output/." "$here/tests/output/" 2>/dev/null || true
exit $status
