// Prints (as one JSON line) the file: URL of every module that importing argv[2] resolves, seen by
// a module resolve hook (which runs on the loader thread and reports over a message port).
import { register } from "node:module";
import { MessageChannel } from "node:worker_threads";

const { port1, port2 } = new MessageChannel();
const seen = new Set();
port1.on("message", (url) => seen.add(url));
port1.unref();
const hook =
  "let port; export function initialize(d) { port = d.port; }" +
  " export async function resolve(s, c, next) { const r = await next(s, c); port.postMessage(r.url); return r; }";
register("data:text/javascript," + encodeURIComponent(hook), { data: { port: port2 }, transferList: [port2] });
await import(process.argv[2]);
await new Promise((r) => setTimeout(r, 200));
console.log(JSON.stringify([...seen].filter((u) => u.startsWith("file:"))));
