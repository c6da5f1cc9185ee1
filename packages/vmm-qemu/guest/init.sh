#!/bin/sh
# /init of the @sandbox/vmm-qemu test guest (busybox-static). Loads the virtio-net modules,
# configures eth0 by DHCP, runs the scenario script handed in through fw_cfg
# (opt/sandbox/scenario) or the kernel command line (sandbox.scenario_b64=...), and reports
# machine-readable lines "@@sandbox <event> [key=value ...]" on the console, then powers off.
export PATH=/bin:/sbin:/usr/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
exec </dev/console >/dev/console 2>&1

say() { echo "@@sandbox $*"; }
# A scenario reports with: result <name> ok|fail [detail...]
result() { n="$1"; shift; say "result name=$n status=$*"; }

for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_mmio \
         failover net_failover virtio_net qemu_fw_cfg; do
  insmod /lib/modules/$m.ko 2>/dev/null || say "warn insmod=$m"
done
hostname sandbox-guest
ip link set lo up
say boot uptime=$(cut -d' ' -f1 /proc/uptime)

if ip link show eth0 >/dev/null 2>&1; then
  say nic present=1 mac=$(cat /sys/class/net/eth0/address)
  ip link set eth0 up
  if udhcpc -i eth0 -s /etc/udhcpc.sh -f -q -n -t 10 -T 1 -O mtu >/tmp/udhcpc.log 2>&1; then
    . /tmp/lease.env
    say lease ip=$ip mask=$subnet router=${router:-none} dns=$(echo ${dns:-none} | tr ' ' ',') mtu=${mtu:-none} ifmtu=$(cat /sys/class/net/eth0/mtu) uptime=$(cut -d' ' -f1 /proc/uptime)
  else
    say lease failed=1
  fi
else
  say nic present=0
fi

scenario=/sys/firmware/qemu_fw_cfg/by_name/opt/sandbox/scenario/raw
if [ -r "$scenario" ]; then
  cp "$scenario" /tmp/scenario.sh
else
  for arg in $(cat /proc/cmdline); do
    case "$arg" in sandbox.scenario_b64=*) echo "${arg#sandbox.scenario_b64=}" | base64 -d >/tmp/scenario.sh ;; esac
  done
fi
say ready
if [ -s /tmp/scenario.sh ]; then
  ( . /tmp/scenario.sh )
  rc=$?
else
  rc=0
fi
say done rc=$rc
sync
poweroff -f
