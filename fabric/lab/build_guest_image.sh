#!/usr/bin/env bash
# Build the lab's tiny test guest from Debian's packages: the cloud kernel and an initramfs holding busybox-static,
# the virtio modules and an /init that configures eth0 from the kernel command line and serves HTTP.
#
#   fabric/lab/build_guest_image.sh [OUTPUT_DIR]      (default var/lab/images)
#
# Writes OUTPUT_DIR/vmlinuz and OUTPUT_DIR/initrd.img. The same inputs give the same bytes (fixed timestamps, sorted
# archive, gzip -n), and a second run with unchanged inputs only compares a checksum.
set -euo pipefail
cd "$(dirname "$0")/../.."

OUTPUT="${1:-var/lab/images}"
KERNEL="$(ls /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -n 1)"
[ -n "$KERNEL" ] || { echo "No cloud kernel in /boot: run fabric/lab/install.sh first" >&2; exit 1; }
VERSION="${KERNEL#/boot/vmlinuz-}"
BUSYBOX=/bin/busybox
# In load order: each module after the ones it depends on.
MODULES=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci failover net_failover virtio_net
  virtio_blk button evdev)
module_paths=()
for module in "${MODULES[@]}"; do
  path="$(modinfo -k "$VERSION" -n "$module")"
  case "$path" in /*.ko) ;; *) echo "Module $module is not a plain .ko file for $VERSION: $path" >&2; exit 1 ;; esac
  module_paths+=("$path")
done

file "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' || [ ! -x /usr/bin/file ] \
  || { echo "$BUSYBOX is not statically linked: install busybox-static" >&2; exit 1; }

inputs="$(sha256sum "$0" "$KERNEL" "$BUSYBOX" "${module_paths[@]}" | sed 's/ .*//' | sha256sum | cut -c1-64)"
if [ -f "$OUTPUT/inputs.sha256" ] && [ "$(cat "$OUTPUT/inputs.sha256")" = "$inputs" ] \
  && [ -f "$OUTPUT/vmlinuz" ] && [ -f "$OUTPUT/initrd.img" ]; then
  exit 0
fi

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,etc/acpi/PWRF,lib/modules,www,tmp}
cp "$BUSYBOX" "$root/bin/busybox"
for index in "${!MODULES[@]}"; do
  cp "${module_paths[$index]}" "$root/lib/modules/${MODULES[$index]}.ko"
done
printf '%s\n' "${MODULES[@]}" > "$root/lib/modules/order"

# busybox acpid maps the power button to the action PWRF/00000080 under /etc/acpi.
cat > "$root/etc/acpi/PWRF/00000080" <<'SCRIPT'
#!/bin/busybox sh
/bin/busybox poweroff -f
SCRIPT

cat > "$root/init" <<'SCRIPT'
#!/bin/busybox sh
# The lab guest: portal.ip=ADDRESS/PREFIX portal.gw=GATEWAY portal.hostname=NAME on the kernel command line.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for module in $(cat /lib/modules/order); do insmod "/lib/modules/$module.ko"; done

for word in $(cat /proc/cmdline); do
  case "$word" in
    portal.ip=*) address="${word#portal.ip=}" ;;
    portal.gw=*) gateway="${word#portal.gw=}" ;;
    portal.hostname=*) name="${word#portal.hostname=}" ;;
  esac
done
name="${name:-guest}"
hostname "$name"

tries=0
while [ ! -e /sys/class/net/eth0 ] && [ "$tries" -lt 100 ]; do sleep 0.1; tries=$((tries + 1)); done
ip link set lo up
if [ -e /sys/class/net/eth0 ]; then
  ip link set eth0 up
  [ -n "$address" ] && ip addr add "$address" dev eth0
  [ -n "$gateway" ] && ip route add default via "$gateway"
else
  echo "lab guest: no eth0" > /dev/console
fi

cat > /www/index.html <<PAGE
<!doctype html>
<title>$name</title>
<h1>$name</h1>
<p>Lab guest $name at ${address:-no address}.</p>
PAGE
echo "$name" > /www/hostname
httpd -p 80 -h /www
# In the foreground (backgrounded here): daemonized, acpid leaves /etc/acpi and no longer finds its actions.
acpid -f -c /etc/acpi -l /dev/console &
echo "lab guest $name: serving HTTP on ${address:-no address}" > /dev/console

while :; do sleep 3600; done
SCRIPT
chmod 0755 "$root/init" "$root/etc/acpi/PWRF/00000080" "$root/bin/busybox"

find "$root" -exec touch -h -d @0 {} +
mkdir -p "$OUTPUT"
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 --reproducible | gzip -9 -n) \
  > "$OUTPUT/initrd.img.new"
cp "$KERNEL" "$OUTPUT/vmlinuz.new"
mv "$OUTPUT/initrd.img.new" "$OUTPUT/initrd.img"
mv "$OUTPUT/vmlinuz.new" "$OUTPUT/vmlinuz"
echo "$inputs" > "$OUTPUT/inputs.sha256"
echo "Built the lab guest ($VERSION) in $OUTPUT"
