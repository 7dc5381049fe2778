#!/usr/bin/env bash
# Installs the Debian packages the test tiers need, only when they are missing, so
# `npm test` works on a fresh machine and costs nothing on a prepared one.
#   postgres  - the PostgreSQL server binaries (the tests start their own throwaway server)
#   sysprep   - qemu-img, virt-sysprep and a kernel for libguestfs, sfdisk for the test
#               images of ../shared/lab/sysprep/make-test-image.sh (the runner's sysprep tier)
set -euo pipefail
want=("$@")
[ ${#want[@]} -gt 0 ] || want=(postgres)

pkgs=()
for w in "${want[@]}"; do
  case "$w" in
    postgres) ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || pkgs+=(postgresql) ;;
    sysprep) { command -v virt-sysprep && command -v qemu-img && command -v guestfish && ls /boot/vmlinuz-* ; } >/dev/null 2>&1 \
               || pkgs+=(libguestfs-tools qemu-utils linux-image-amd64)
             PATH="$PATH:/usr/sbin:/sbin" command -v sfdisk >/dev/null 2>&1 || pkgs+=(fdisk) ;;
    *) echo "ensure-system-deps: unknown component '$w'" >&2; exit 2 ;;
  esac
done
[ ${#pkgs[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "ensure-system-deps: missing Debian packages: ${pkgs[*]} (run: sudo apt-get install ${pkgs[*]})" >&2
  exit 1
fi
echo "ensure-system-deps: installing ${pkgs[*]}" >&2
# keep the packages' own services from starting: the tests start what they need themselves
added_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; added_policy=1
fi
trap '[ $added_policy = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
