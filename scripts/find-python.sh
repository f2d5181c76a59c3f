#!/bin/sh
# Prints the path of a Python >= 3.12 interpreter, or fails with a message.
# A name on PATH is not enough: version managers (pyenv) put shims there that
# refuse to run when their version is not selected, so each candidate is run.
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
for c in python3.13 python3.12 python3; do
  if ok "$c"; then command -v "$c"; exit 0; fi
done
# pyenv keeps inactive versions under its root; use the newest one that fits.
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root)
  for v in $(pyenv versions --bare 2>/dev/null | sort -t. -k1,1nr -k2,2nr -k3,3nr); do
    c="$root/versions/$v/bin/python3"
    if [ -x "$c" ] && ok "$c"; then echo "$c"; exit 0; fi
  done
fi
echo "Guanxi needs Python 3.12 or newer (tried python3.13, python3.12, python3)." >&2
exit 1
