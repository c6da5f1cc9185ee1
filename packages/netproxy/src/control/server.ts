/**
 * The control server: a unix stream socket on which any number of clients send commands and
 * receive responses and events (schemas/control.schema.json). Every received message is validated
 * with the generated zod schema before it reaches the {@link ControlHandler}. Events go to every
 * client; a client that does not read is skipped (its sequence numbers show the gap) rather than
 * letting its queue grow without bound.
 */
import { chmodSync, existsSync, lstatSync, unlinkSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import type { Command, Event, Outcome } from "../gen/control.js";
import { ControlDecoder, encodeControl } from "./codec.js";
import type { ControlHandler } from "./handler.js";

/** Events are not queued to a client that has more than this many unread bytes. */
const CLIENT_EVENT_LIMIT = 4 << 20;

/** A running control server. */
export class ControlServer {
  private readonly clients = new Set<Socket>();
  private seq = 0;
  private closing = false;

  private constructor(
    private readonly server: Server,
    /** The socket path clients connect to. */
    readonly path: string,
    private readonly handler: ControlHandler,
  ) {
    server.on("connection", (s) => this.attach(s));
  }

  /** Listen on `path` (a stale socket file is replaced; any other existing file is an error). */
  static async listen(path: string, handler: ControlHandler): Promise<ControlServer> {
    if (existsSync(path)) {
      if (!lstatSync(path).isSocket()) throw new Error(`control socket ${path} exists and is not a socket; choose another path`);
      unlinkSync(path);
    }
    const server = createServer();
    await new Promise<void>((res, rej) => {
      server.once("error", (e) => rej(new Error(`control socket ${path}: ${e.message}`, { cause: e })));
      server.listen({ path }, () => res());
    });
    // Commands can change the policy: only the owner may connect (connect needs write permission).
    chmodSync(path, 0o600);
    return new ControlServer(server, path, handler);
  }

  /** Number of connected clients. */
  get clientCount(): number {
    return this.clients.size;
  }

  /** Send an event to every connected client. */
  emit(event: Event): void {
    this.seq++;
    if (this.clients.size === 0) return;
    const buf = encodeControl({ event: { seq: this.seq, time_ms: Date.now(), event } });
    for (const c of this.clients) {
      if (c.writableLength > CLIENT_EVENT_LIMIT) continue;
      c.write(buf);
    }
  }

  private attach(sock: Socket): void {
    this.clients.add(sock);
    const decoder = new ControlDecoder((d) => {
      if (!d.ok) {
        this.reply(sock, d.id, { error: { message: d.error } });
        return;
      }
      const m = d.message;
      if (!("command" in m)) {
        this.reply(sock, 0, { error: { message: "at (root): clients send `command` messages only; `response` and `event` come from the proxy" } });
        return;
      }
      void this.run(sock, m.command.id, m.command.command);
    });
    sock.on("data", (c: Buffer) => {
      try {
        decoder.push(c);
      } catch (e) {
        this.reply(sock, 0, { error: { message: (e as Error).message } });
        sock.end();
      }
    });
    sock.on("error", () => sock.destroy());
    sock.on("close", () => this.clients.delete(sock));
  }

  private reply(sock: Socket, id: number, outcome: Outcome): void {
    if (!sock.destroyed) sock.write(encodeControl({ response: { id, outcome } }));
  }

  private async run(sock: Socket, id: number, cmd: Command): Promise<void> {
    try {
      if (cmd === "get_stats") {
        this.reply(sock, id, { ok: { stats: this.handler.stats() } });
      } else if (cmd === "shutdown") {
        this.reply(sock, id, { ok: "done" });
        await new Promise((r) => setImmediate(r));
        await this.handler.shutdown();
      } else if ("reload_policy" in cmd) {
        this.reply(sock, id, { ok: { reloaded: await this.handler.reloadPolicy(cmd.reload_policy.config_json) } });
      } else if ("add_published_port" in cmd) {
        this.reply(sock, id, { ok: { port_added: await this.handler.addPublishedPort(cmd.add_published_port) } });
      } else if ("remove_published_port" in cmd) {
        await this.handler.removePublishedPort(cmd.remove_published_port);
        this.reply(sock, id, { ok: "done" });
      }
    } catch (e) {
      this.reply(sock, id, { error: { message: (e as Error).message } });
    }
  }

  /** Stop listening, disconnect clients and remove the socket file. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const c of this.clients) c.end();
    await new Promise<void>((res) => this.server.close(() => res()));
    for (const c of this.clients) c.destroy();
    try {
      unlinkSync(this.path);
    } catch {
      /* gone */
    }
  }
}
