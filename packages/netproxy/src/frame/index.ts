/** Frame codecs: Ethernet, ARP, IPv4, IPv6, ICMPv4/v6, UDP, TCP, DHCPv4 and the Internet checksum. */
export * from "./checksum.js";
export * from "./ethernet.js";
export * from "./arp.js";
export * from "./ipv4.js";
export * from "./ipv6.js";
export * from "./icmp.js";
export * from "./udp.js";
export * from "./tcp.js";
export * from "./dhcp.js";
