#!/bin/sh
# A template cache with Python, for the tests that run modules inside containers: the busybox template
# with this machine's own Python (the interpreter, its standard library, the shared libraries they
# load) and a user `app` for become_user. Seconds to build, where debootstrap'ing one takes minutes.
# Usage: build.sh CACHE_DIR (it holds busybox.tar.gz; busybox-python.tar.gz is written beside it).
set -eu
cache=$1
python=$(readlink -f /usr/bin/python3)
stdlib=$("$python" -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
tar -xzf "$cache/busybox.tar.gz" -C "$tree"
# the interpreter and its library, and every shared object they load, at the same paths as here
{
  echo "$python"
  find "$stdlib" \( -name test -o -name tests -o -name idlelib -o -name tkinter -o -name ensurepip \) -prune \
    -o -type f -print
  for object in "$python" "$stdlib"/lib-dynload/*.so; do
    ldd "$object" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p'
  done
} | sort -u | while read -r path; do
  mkdir -p "$tree$(dirname "$path")"
  cp -L "$path" "$tree$path"
done
ln -sf "$(basename "$python")" "$tree/usr/bin/python3"
mkdir -p "$tree/tmp" "$tree/var/tmp"
chmod 1777 "$tree/tmp" "$tree/var/tmp"  # (as on any distribution: become_user's files go there)
if ! grep -q '^app:' "$tree/etc/passwd"; then
  echo 'app:x:1000:1000:app:/home/app:/bin/sh' >>"$tree/etc/passwd"
  echo 'app:x:1000:' >>"$tree/etc/group"
  mkdir -p "$tree/home/app"
  chown 1000:1000 "$tree/home/app"
fi
tar --numeric-owner -czf "$cache/busybox-python.tar.gz.partial" -C "$tree" .
mv "$cache/busybox-python.tar.gz.partial" "$cache/busybox-python.tar.gz"
