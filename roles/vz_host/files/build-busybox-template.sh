#!/bin/sh
# Build the "busybox" OS template cache from Debian's busybox-static: a tiny but complete system
# (busybox init as pid 1, a syslogd it keeps running, the usual /etc files), packed the way
# OpenVZ template caches are (tar with numeric owners). Usage: build-busybox-template.sh CACHE_FILE
set -eu
out=$1
busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || { echo "$busybox missing: install Debian's busybox-static" >&2; exit 1; }
"$busybox" --list-full >/dev/null 2>&1 || { echo "$busybox is not a full busybox" >&2; exit 1; }

tree=$(mktemp -d "${TMPDIR:-/tmp}/vzkit-busybox.XXXXXX")
trap 'rm -rf "$tree"' EXIT
chmod 755 "$tree"  # the container's / (mktemp makes it 0700, which locks out every user but root)
cd "$tree"
mkdir -p bin sbin usr/bin usr/sbin etc/init.d proc sys dev run tmp root var/log var/run home
chmod 1777 tmp
cp "$busybox" bin/busybox
for applet in $(bin/busybox --list-full); do
  [ -e "$applet" ] || ln -s /bin/busybox "$applet"
done
cat > etc/inittab <<'TAB'
::sysinit:/etc/init.d/rcS
::respawn:/sbin/syslogd -n -O /var/log/messages
::shutdown:/bin/echo "vzkit busybox: shutting down"
TAB
cat > etc/init.d/rcS <<'RCS'
#!/bin/sh
echo "vzkit busybox: up as $(hostname)"
RCS
chmod 755 etc/init.d/rcS
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > etc/passwd
printf 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n' > etc/group
printf 'root::19000:0:99999:7:::\n' > etc/shadow
chmod 640 etc/shadow
echo busybox > etc/hostname
printf '127.0.0.1\tlocalhost\n' > etc/hosts
printf 'ID=busybox\nNAME="BusyBox (vzkit template)"\n' > etc/os-release
mkdir -p "$(dirname "$out")"
tmp="$out.partial.$$"
tar --numeric-owner --owner=0 --group=0 -czf "$tmp" -C "$tree" .
mv "$tmp" "$out"
