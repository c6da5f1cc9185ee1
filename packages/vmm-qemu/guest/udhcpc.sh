#!/bin/sh
# udhcpc event script of the @sandbox/vmm-qemu test guest: applies the lease (address, route,
# resolver, MTU) and records it in /tmp/lease.env for /init to report.
case "$1" in
  deconfig)
    ip addr flush dev "$interface"
    ip link set "$interface" up
    ;;
  bound|renew)
    ifconfig "$interface" "$ip" netmask "$subnet" up
    [ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
    if [ -n "$router" ]; then
      while route del default gw 0.0.0.0 dev "$interface" 2>/dev/null; do :; done
      for r in $router; do route add default gw "$r" dev "$interface"; break; done
    fi
    : >/etc/resolv.conf
    for d in $dns; do echo "nameserver $d" >>/etc/resolv.conf; done
    {
      echo "ip='$ip'"; echo "subnet='$subnet'"; echo "router='$router'"
      echo "dns='$dns'"; echo "mtu='$mtu'"
    } >/tmp/lease.env
    ;;
esac
exit 0
