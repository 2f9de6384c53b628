// Talking to an agent (authfd.c): one Unix-socket connection, requests answered strictly in order. ssh lists the
// agent's keys and has it sign; AddKeysToAgent adds a key. Each request has a deadline, so an agent that stops
// answering fails the request instead of hanging ssh; a reply longer than MAX_AGENT_MESSAGE ends the connection.
import type { Socket } from "bun";
import {
  AgentProtocolError, MAX_AGENT_MESSAGE, decodeIdentitiesAnswer, decodeSignResponse, decodeStatus, encodeAddIdentity,
  encodeRequestIdentities, encodeSignRequest, signFlags, type AgentIdentity,
} from "./protocol.ts";

/** How long one request may wait for its answer (an agent with a confirm constraint waits for the user). */
const REQUEST_TIMEOUT_MS = 120_000;

interface Pending {
  resolve(payload: Uint8Array): void;
  reject(e: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/** An open connection to an agent. */
export class AgentClient {
  private inbox = new Uint8Array(0);
  private readonly waiting: Pending[] = [];
  private queued: Uint8Array[] = [];
  private closedError: Error | null = null;

  private constructor(private socket: Socket<undefined> | null) {}

  /**
   * Connects to the agent socket at `path`. Rejects with the connect error (ENOENT, ECONNREFUSED, ...) the way
   * ssh_get_authentication_socket reports it.
   */
  static async connect(path: string): Promise<AgentClient> {
    let client: AgentClient | null = null;
    const socket = await Bun.connect({
      unix: path,
      socket: {
        data: (_s, chunk) => client?.onData(chunk),
        drain: () => client?.flush(),
        close: () => client?.onClose(new AgentProtocolError("agent closed the connection")),
        error: (_s, e) => client?.onClose(e),
      },
    });
    client = new AgentClient(socket);
    return client;
  }

  /** The agent's keys (REQUEST_IDENTITIES). */
  async identities(): Promise<AgentIdentity[]> {
    return decodeIdentitiesAnswer(await this.request(encodeRequestIdentities()));
  }

  /** Has the agent sign `data` with the key `keyBlob` for `algorithm`; returns the SSH signature blob. */
  async sign(keyBlob: Uint8Array, data: Uint8Array, algorithm: string): Promise<Uint8Array> {
    return decodeSignResponse(await this.request(encodeSignRequest(keyBlob, data, signFlags(algorithm))));
  }

  /** Adds a private key (AddKeysToAgent, ssh-add). */
  async add(type: string, privateFields: Uint8Array, comment: string, constraints: { lifetimeSeconds?: number; confirm?: boolean } = {}): Promise<void> {
    decodeStatus(await this.request(encodeAddIdentity(type, privateFields, comment, constraints)), "add");
  }

  /** Closes the connection; pending requests fail. */
  close(): void {
    this.onClose(new AgentProtocolError("agent connection closed"));
  }

  private request(message: Uint8Array): Promise<Uint8Array> {
    if (this.closedError !== null) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.onClose(new AgentProtocolError("agent did not answer")), REQUEST_TIMEOUT_MS);
      this.waiting.push({ resolve, reject, timer });
      this.queued.push(message);
      this.flush();
    });
  }

  /** Bun sockets drop what write() does not take (bun-platform.md §4): keep the rest queued until drain. */
  private flush(): void {
    while (this.socket !== null && this.queued.length > 0) {
      const head = this.queued[0]!;
      const n = this.socket.write(head);
      if (n < head.length) {
        this.queued[0] = head.subarray(Math.max(n, 0));
        return;
      }
      this.queued.shift();
    }
  }

  private onData(chunk: Uint8Array): void {
    const joined = new Uint8Array(this.inbox.length + chunk.length);
    joined.set(this.inbox);
    joined.set(chunk, this.inbox.length);
    this.inbox = joined;
    while (this.inbox.length >= 4) {
      const len = new DataView(this.inbox.buffer, this.inbox.byteOffset).getUint32(0);
      if (len > MAX_AGENT_MESSAGE) return this.onClose(new AgentProtocolError(`agent message too long (${len} bytes)`));
      if (this.inbox.length < 4 + len) return;
      const payload = this.inbox.slice(4, 4 + len);
      this.inbox = this.inbox.subarray(4 + len);
      const p = this.waiting.shift();
      if (p === undefined) return this.onClose(new AgentProtocolError("unsolicited agent message"));
      clearTimeout(p.timer);
      p.resolve(payload);
    }
  }

  private onClose(e: Error): void {
    if (this.closedError === null) this.closedError = e;
    const s = this.socket;
    this.socket = null;
    s?.end();
    for (const p of this.waiting.splice(0)) {
      clearTimeout(p.timer);
      p.reject(this.closedError);
    }
    this.queued = [];
  }
}
