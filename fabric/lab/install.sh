#!/usr/bin/env bash
# Install what the lab needs: Debian's qemu, libvirt and the tiny guest's parts, then libvirt-python into a venv.
#
#   fabric/lab/install.sh [PYTHON]      (or LAB_PYTHON=/path/to/venv/bin/python)
#
# Idempotent: apt-get runs only when a package is missing and pip only when libvirt-python is not the pinned
# version, so a second run returns at once.
set -euo pipefail
cd "$(dirname "$0")/../.."

PYTHON="${1:-${LAB_PYTHON:-.venv/bin/python}}"
PACKAGES=(qemu-system-x86 qemu-utils libvirt-daemon-system libvirt-dev pkg-config busybox-static linux-image-cloud-amd64
  genisoimage haproxy iproute2)
COMMANDS=(qemu-system-x86_64 qemu-img libvirtd virtlogd virsh busybox genisoimage haproxy ip unshare nsenter cpio gzip)

missing=()
installed=" $(dpkg-query -W -f='${Package}:${db:Status-Status} ' "${PACKAGES[@]}" 2>/dev/null || true)"
for package in "${PACKAGES[@]}"; do
  [[ "$installed" == *" $package:installed "* ]] || missing+=("$package")
done

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "The lab needs these Debian packages, and installing them needs root:" >&2
    echo "  apt-get install -y ${missing[*]}" >&2
    echo "Run this script as root (sudo $0 $PYTHON)." >&2
    exit 1
  fi
  echo "Installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Another apt-get may hold the lock (a second install on the same machine): wait for it, within bounds.
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

for command in "${COMMANDS[@]}"; do
  PATH="$PATH:/usr/sbin:/sbin" command -v "$command" >/dev/null || { echo "Missing command after install: $command" >&2; exit 1; }
done
ls /boot/vmlinuz-*-cloud-amd64 >/dev/null 2>&1 || { echo "No cloud kernel in /boot (linux-image-cloud-amd64)" >&2; exit 1; }

wanted="$(sed -n 's/^libvirt-python==//p' requirements-fabric.txt)"
have="$(ls -d "$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"/libvirt_python-*.dist-info \
  2>/dev/null | sed -n 's/.*libvirt_python-\(.*\)\.dist-info$/\1/p' | head -n 1 || true)"  # none yet: empty
if [ "$have" != "$wanted" ]; then
  echo "Installing libvirt-python $wanted into $("$PYTHON" -c 'import sys; print(sys.prefix)')"
  "$PYTHON" -m pip install --quiet -r requirements-fabric.txt
fi
