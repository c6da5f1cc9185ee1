/**
 * @sandbox/vmm-qemu: QEMU network modes (quicksand's none/mounts_only/full on SLIRP, and `policy`
 * behind @sandbox/netproxy), the argv builder, a launcher and the test guest.
 */
export * from "./gen/index.js";
export * from "./network/settings.js";
export * from "./network/argv.js";
export * from "./conformance/probe.js";
export * from "./launch/binary.js";
export * from "./launch/accel.js";
export * from "./launch/console.js";
export * from "./launch/vm.js";
export * from "./guest/cpio.js";
export * from "./guest/build.js";
export * from "./guest/scenario.js";
