/**
 * A control-channel client: send commands and await their responses, receive events. Used by the
 * CLI, tests and anything that drives a running netproxy.
 */
import { Socket } from "node:net";
import type { Command, CommandResult, EventMessage, Outcome } from "../gen/control.js";
import { ControlDecoder, encodeControl } from "./codec.js";

/** A connected client. */
export class ControlClient {
  private nextId = 1;
  private readonly pending = new Map<number, (o: Outcome) => void>();
  private readonly eventHandlers: ((e: EventMessage) => void)[] = [];
  private readonly strayHandlers: ((o: Outcome, id: number) => void)[] = [];
  private closedErr: Error | null = null;

  private constructor(private readonly sock: Socket) {
    const decoder = new ControlDecoder((d) => {
      if (!d.ok) return; // the proxy only sends schema-valid messages; ignore anything else
      const m = d.message;
      if ("response" in m) {
        const r = this.pending.get(m.response.id);
        this.pending.delete(m.response.id);
        if (r) r(m.response.outcome);
        else for (const h of this.strayHandlers) h(m.response.outcome, m.response.id);
      } else if ("event" in m) {
        for (const h of this.eventHandlers) h(m.event);
      }
    });
    sock.on("data", (c: Buffer) => {
      try {
        decoder.push(c);
      } catch (e) {
        sock.destroy(e as Error);
      }
    });
    const fail = (e?: Error) => {
      this.closedErr = e ?? new Error("control connection closed");
      for (const r of this.pending.values()) r({ error: { message: this.closedErr.message } });
      this.pending.clear();
    };
    sock.on("error", fail);
    sock.on("close", () => fail());
  }

  /** Connect to the control socket at `path`. */
  static connect(path: string): Promise<ControlClient> {
    return new Promise((res, rej) => {
      const s = new Socket();
      s.once("error", (e) => rej(new Error(`control socket ${path}: ${e.message}`, { cause: e })));
      s.connect({ path }, () => res(new ControlClient(s)));
    });
  }

  /** Send a command and resolve with its outcome (`{ok}` or `{error}`). */
  request(command: Command): Promise<Outcome> {
    if (this.closedErr) return Promise.resolve({ error: { message: this.closedErr.message } });
    const id = this.nextId++ >>> 0;
    return new Promise((res) => {
      this.pending.set(id, res);
      this.sock.write(encodeControl({ command: { id, command } }));
    });
  }

  /** Send a command; resolve with its result or throw its error message. */
  async call(command: Command): Promise<CommandResult> {
    const o = await this.request(command);
    if ("error" in o) throw new Error(o.error.message);
    return o.ok;
  }

  /** Send raw bytes (for protocol tests). */
  writeRaw(b: Uint8Array): void {
    this.sock.write(b);
  }

  /** Register an event receiver. */
  onEvent(h: (e: EventMessage) => void): void {
    this.eventHandlers.push(h);
  }

  /** Register a receiver for responses that match no pending command (e.g. to unreadable input). */
  onStrayResponse(h: (o: Outcome, id: number) => void): void {
    this.strayHandlers.push(h);
  }

  /** Disconnect. */
  close(): void {
    this.sock.end();
  }
}
