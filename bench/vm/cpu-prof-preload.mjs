// Preload (`--import`) that records a V8 CPU profile of the whole process and writes it at exit
// into $CPU_PROF_DIR (bench/vm with BENCH_VM_NETPROXY_PROF; --cpu-prof is not allowed in NODE_OPTIONS).
import { Session } from "node:inspector";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.env.CPU_PROF_DIR;
if (dir) {
  const s = new Session();
  s.connect();
  s.post("Profiler.enable");
  s.post("Profiler.setSamplingInterval", { interval: 200 });
  s.post("Profiler.start");
  process.on("exit", () => {
    s.post("Profiler.stop", (err, r) => {
      if (!err) writeFileSync(join(dir, `netproxy-${process.pid}.cpuprofile`), JSON.stringify(r.profile));
    });
  });
}
