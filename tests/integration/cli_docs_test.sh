#!/usr/bin/env bash
# Docs that cannot rot: every revlens command answers --help with exit 0, and README.md
# documents it as `revlens <command>`. Usage: cli_docs_test.sh <revlens binary> <README.md>
set -uo pipefail
bin="$1"
readme="$2"
fail=0
pass=0
# Commands are discovered from the binary's own help, so a new command is checked too.
top=$("$bin" --help | awk '/^Subcommands:/{f=1;next} f&&NF{print $1}')
cmds=()
for c in $top; do
  subs=$("$bin" "$c" --help | awk '/^Subcommands:/{f=1;next} f&&NF{print $1}')
  if [ -n "$subs" ]; then
    for s in $subs; do cmds+=("$c $s"); done
  else
    cmds+=("$c")
  fi
done
for c in "${cmds[@]}"; do
  # shellcheck disable=SC2086
  if ! "$bin" $c --help >/dev/null 2>&1; then
    echo "FAIL: 'revlens $c --help' did not exit 0"; fail=$((fail + 1)); continue
  fi
  if ! grep -q "revlens $c" "$readme"; then
    echo "FAIL: README.md does not document 'revlens $c'"; fail=$((fail + 1)); continue
  fi
  pass=$((pass + 1))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
