// The SSH transport (RFC 4253, OpenSSH PROTOCOL): version exchange, the binary packet protocol sealed and opened in
// place on pooled memory, KEXINIT negotiation with strict KEX and ext-info, ECDH-shaped key exchanges (curve25519,
// ECDH, hybrid KEMs, fixed-group DH), NEWKEYS, rekeying by bytes and time, and the generic messages. Everything else
// goes up through PacketConn.onMessage.
import { randomBytes } from "node:crypto";
import { DisconnectReason, NegotiationError, PeerDisconnectedError, ProtocolError, ConnectionLostError, SshError } from "../errors.ts";
import { escapeForLog, silentLogger, type Logger } from "../log.ts";
import type { CipherSpec, KexAgreementSpec, KexClientState, MacSpec, PacketCipher } from "../crypto/types.ts";
import { KexError } from "../crypto/types.ts";
import { composePacketCipher } from "../crypto/packet-cipher.ts";
import { dhAgreement, dhFallbackGroup, dhGroupFromWire, gexClientRequest, gexServerRange, type DhGroup } from "../crypto/dh.ts";
import { chooseModulus, parseModuli } from "../crypto/moduli.ts";
import { readFileSync } from "node:fs";
import {
  BufferPool, defaultPool, Reader, Writer, type Lease,
  SSH_MSG_DISCONNECT, SSH_MSG_IGNORE, SSH_MSG_UNIMPLEMENTED, SSH_MSG_DEBUG, SSH_MSG_EXT_INFO, SSH_MSG_KEXINIT,
  SSH_MSG_NEWKEYS, SSH_MSG_KEX_ECDH_INIT, SSH_MSG_KEX_ECDH_REPLY, SSH2_MSG_PING, SSH2_MSG_PONG, messageName,
  SSH_MSG_KEX_DH_GEX_REQUEST, SSH_MSG_KEX_DH_GEX_GROUP, SSH_MSG_KEX_DH_GEX_INIT, SSH_MSG_KEX_DH_GEX_REPLY,
  SSH_MSG_CHANNEL_DATA, SSH_MSG_CHANNEL_EXTENDED_DATA,
} from "../wire/index.ts";
import type { Link } from "./link.ts";
import { decodeKexInit, encodeKexInit, negotiate, EXT_INFO_C, EXT_INFO_S, KEX_STRICT_C, KEX_STRICT_S, type KexInitLists, type Negotiated } from "./negotiate.ts";
import { deriveKey, exchangeHash } from "./kex-math.ts";
import { IdentificationError, IdentificationReader, type PeerIdentification } from "./version.ts";
import type { PacketConn } from "./types.ts";
import { keepOutOfFtl } from "../jit.ts";
import { AesGcmOpenSsh, aesGcmOpen, aesGcmSeal } from "../crypto/aes-gcm-openssh.ts";
import { alignmentHead, updateInto } from "../crypto/aes-ctr.ts";

/** OpenSSH's PACKET_MAX_SIZE (packet.c): the largest packet_length we accept. */
export const MAX_PACKET_LENGTH = 256 * 1024;
/**
 * Backlog above which onWritable is armed, and below which it fires. HIGH_WATER must stay below the connection layer's
 * backlog limit (ChannelMux backlogHighBytes, 1 MiB), or a mux waiting for onWritable would wait forever.
 */
const HIGH_WATER = 256 * 1024;
const LOW_WATER = 128 * 1024;
/**
 * Where a packet starts in its buffer, per message: channel data is copied in from a fresh (page-aligned) chunk, and
 * glibc's memmove (`rep movsb`) runs at ~3 GB/s instead of ~50 when the destination sits 1-15 bytes past the
 * source's alignment, which the 14-byte CHANNEL_DATA header (18 for EXTENDED_DATA) would make it. Starting those
 * packets 2 (14) bytes in puts their data on a 16-byte boundary: 1 GiB uploaded by ssh cost ~0.4 s less CPU.
 */
const CHANNEL_DATA_SKEW = 2;
const EXTENDED_DATA_SKEW = 14;

/** A server host key able to sign the exchange hash. */
export interface HostKeySigner {
  /** Signature algorithms it can make, best first (`rsa-sha2-512`, `rsa-sha2-256` for one RSA key). */
  readonly algorithms: readonly string[];
  /** The public key blob (K_S). */
  readonly publicKeyBlob: Uint8Array;
  /** Signs `data` with `algorithm`, returning the SSH signature blob (string name ‖ string signature). */
  sign(algorithm: string, data: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/** The algorithms the transport can use, by wire name (normally the crypto registry). */
export interface AlgorithmTables {
  readonly ciphers: readonly CipherSpec[];
  readonly macs: readonly MacSpec[];
  readonly kex: readonly KexAgreementSpec[];
}

/** Preference lists, best first, as in a KEXINIT (without the ext-info / strict pseudo-names, which are added). */
export interface AlgorithmPreferences {
  readonly kex: readonly string[];
  readonly hostKey: readonly string[];
  readonly ciphers: readonly string[];
  readonly macs: readonly string[];
  readonly compression: readonly string[];
}

/** How to build a transport. */
export interface TransportOptions {
  readonly role: "client" | "server";
  readonly link: Link;
  readonly tables: AlgorithmTables;
  readonly preferences: AlgorithmPreferences;
  /** Our software version: the identification string is `SSH-2.0-<software>`. */
  readonly software: string;
  /** Server: host keys; the hostKey preference list is filtered to what they can sign. */
  readonly hostKeys?: readonly HostKeySigner[];
  /** Verifies an SSH signature blob over `data` with a public key blob (the crypto registry's signature rows). */
  readonly verifySignature: (algorithm: string, publicKeyBlob: Uint8Array, data: Uint8Array, signature: Uint8Array) => boolean;
  /** Client: decides whether the server's host key is acceptable (known_hosts policy). */
  readonly checkHostKey?: (publicKeyBlob: Uint8Array, algorithm: string) => Promise<boolean> | boolean;
  /** Server: the EXT_INFO extensions to announce after the first NEWKEYS (server-sig-algs, …). */
  readonly serverExtensions?: ReadonlyMap<string, Uint8Array>;
  /** Server: the moduli file for diffie-hellman-group-exchange (ModuliFile); missing or empty: OpenSSH's fallback groups. */
  readonly moduliFile?: string;
  /** Rekey after this many bytes in either direction (RekeyLimit); default per cipher as OpenSSH. */
  readonly rekeyBytes?: number;
  /**
   * Rekey (by bytes or time) only once markAuthenticated() was called, as OpenSSH (packet.c ssh_packet_need_rekeying:
   * never before authentication; a tiny RekeyLimit would otherwise rekey between every pre-auth message).
   */
  readonly rekeyAfterAuthOnly?: boolean;
  /** Rekey after this many seconds (RekeyLimit's second field); 0 or undefined: never by time. */
  readonly rekeySeconds?: number;
  readonly log?: Logger;
  /** How logs name the peer (`192.0.2.1 port 22`), for "Received disconnect from …" lines. */
  readonly peerLabel?: string;
  readonly pool?: BufferPool;
  /** Randomness for cookies and padding (tests pass a seeded one). */
  readonly random?: (n: number) => Uint8Array;
}

/** The client refused the server's host key. */
export class HostKeyVerificationError extends SshError {
  override name = "HostKeyVerificationError";
}

/** The link ended before or during the handshake, or a handshake step failed. */
export class HandshakeError extends SshError {
  override name = "HandshakeError";
}

interface PendingKeys {
  readonly cipherIn: PacketCipher;
  readonly cipherOut: PacketCipher;
  readonly rekeyIn: number;
  readonly rekeyOut: number;
}

interface OutChunk {
  lease: Lease | null;
  bytes: Uint8Array;
  off: number;
  end: number;
}

const isTransportMessage = (m: number): boolean => (m >= 1 && m <= 4) || (m >= 20 && m <= 49);
const isKexMessage = (m: number): boolean => m >= 20 && m <= 49;

/** An SSH transport over a Link; see PacketConn for the surface the upper layers use. */
export class Transport implements PacketConn {
  readonly role: "client" | "server";
  onMessage: (payload: Uint8Array, lease: Lease) => void = (_p, lease) => lease.release();
  onClose: (error: Error | undefined) => void = () => {};
  onWritable: () => void = () => {};
  backlogBytes = 0;
  sessionId: Uint8Array = new Uint8Array(0);
  serverHostKey: Uint8Array = new Uint8Array(0);
  peerVersion = "";
  peerExtensions: Map<string, Uint8Array> = new Map();
  /** The algorithms of the latest key exchange. */
  negotiated: Negotiated | undefined;
  /** Key exchanges completed in both directions (1 after the handshake; each rekey adds one). */
  keyExchanges = 0;
  private authenticated = false;
  /** Resolves when the first key exchange is complete in both directions; rejects if the connection fails first. */
  readonly ready: Promise<void>;
  /** Resolves when the transport is closed (never rejects); the value is the error that closed it, if any. */
  readonly closed: Promise<Error | undefined>;

  private readonly opts: TransportOptions;
  private readonly log: Logger;
  private readonly pool: BufferPool;
  private readonly random: (n: number) => Uint8Array;
  private readonly ourVersion: string;
  private idReader: IdentificationReader | null;
  private peerId: PeerIdentification | undefined;
  private state: "version" | "open" | "closed" = "version";

  // inbound packet framing
  private cipherIn: PacketCipher;
  private seqIn = 0;
  private readonly header = new Uint8Array(32);
  private headerFill = 0;
  private packet: Lease | null = null;
  private packetFill = 0;
  private packetTotal = 0;
  private packetLen = 0;
  private bytesIn = 0;
  /** Sequence number of the packet being dispatched (for UNIMPLEMENTED). */
  private dispatchSeq = 0;
  private paused = 0;
  private readonly pausedChunks: Uint8Array[] = [];
  private rekeyIn = Infinity;

  // outbound
  private cipherOut: PacketCipher;
  private seqOut = 0;
  private readonly outQueue: OutChunk[] = [];
  private writableArmed = false;
  private bytesOut = 0;
  private rekeyOut = Infinity;
  private readonly heldForKex: Writer[] = [];
  private readonly padRandom = new Uint8Array(4096);
  private padPos = 4096;

  // key exchange
  private firstKex = true;
  private strict = false;
  private kexOutActive = false; // we sent KEXINIT and not yet NEWKEYS
  private kexInActive = false; // we got KEXINIT and not yet NEWKEYS
  private ourKexInit: Uint8Array | null = null;
  private peerKexInit: Uint8Array | null = null;
  private clientKexState: KexClientState | null = null;
  /** Group exchange (RFC 4419) in progress: the request as sent/received and the group agreed. */
  private gex: { min: number; n: number; max: number; group: DhGroup | null; p: Uint8Array; g: Uint8Array } | null = null;
  private pendingKeys: PendingKeys | null = null;
  private ignoreNextKexPacket = false;
  private rekeyTimer: ReturnType<typeof setTimeout> | undefined;
  private endWhenFlushed = false;
  private resolveReady!: () => void;
  private rejectReady!: (e: Error) => void;
  private resolveClosed!: (e: Error | undefined) => void;

  constructor(opts: TransportOptions) {
    this.opts = opts;
    this.role = opts.role;
    this.log = opts.log ?? silentLogger;
    this.pool = opts.pool ?? defaultPool;
    this.random = opts.random ?? ((n) => new Uint8Array(randomBytes(n)));
    this.ourVersion = `SSH-2.0-${opts.software}`;
    this.idReader = new IdentificationReader(opts.role === "server");
    const none = composePacketCipher(null, null, false);
    this.cipherIn = none;
    this.cipherOut = composePacketCipher(null, null, false);
    this.ready = new Promise((res, rej) => {
      this.resolveReady = res;
      this.rejectReady = rej;
    });
    this.ready.catch(() => {}); // observed through closed/onClose too; never an unhandled rejection
    this.closed = new Promise((res) => (this.resolveClosed = res));
    const link = opts.link;
    link.onData = (chunk) => this.feed(chunk);
    link.onDrain = () => this.flush();
    link.onEnd = (error) => this.linkEnded(error);
    this.log.debug(`Local version string ${this.ourVersion}`);
    this.writeRaw(new TextEncoder().encode(`${this.ourVersion}\r\n`));
    // RFC 4253 §7.1: KEXINIT may be sent right after the identification string, without waiting for the peer's.
    this.sendKexInit();
  }

  // ---- PacketConn -------------------------------------------------------------------------------------------

  begin(msg: number, sizeHint = 64): Writer {
    const skew = msg === SSH_MSG_CHANNEL_DATA ? CHANNEL_DATA_SKEW : msg === SSH_MSG_CHANNEL_EXTENDED_DATA ? EXTENDED_DATA_SKEW : 0;
    const w = new Writer(this.pool, sizeHint + 1, 5 + skew);
    w.u8(msg);
    return w;
  }

  commit(w: Writer): void {
    if (this.state === "closed") {
      w.release();
      return;
    }
    const msg = w.bytes[w.headroom]!;
    // RFC 4253 §7.1: between our KEXINIT and our NEWKEYS only transport messages may be sent; hold the rest.
    if ((this.kexOutActive || this.state !== "open" || this.sessionId.length === 0) && !isTransportMessage(msg)) {
      this.heldForKex.push(w);
      return;
    }
    this.seal(w);
    this.maybeRekey();
  }

  disconnect(reason: number, description: string): void {
    if (this.state === "closed") return;
    const w = this.begin(SSH_MSG_DISCONNECT, description.length + 16);
    w.u32(reason).string(description).string("");
    this.seal(w);
    this.shutdown(undefined);
  }

  close(): void {
    this.shutdown(undefined);
  }

  rekey(): void {
    if (this.state === "open" && !this.kexOutActive && this.sessionId.length > 0) this.sendKexInit();
  }

  unimplemented(): void {
    const w = this.begin(SSH_MSG_UNIMPLEMENTED, 8);
    w.u32(this.dispatchSeq);
    this.commit(w);
  }

  /** The peer's identification (after the version exchange). */
  get peer(): PeerIdentification | undefined {
    return this.peerId;
  }

  // ---- inbound ----------------------------------------------------------------------------------------------

  private feed(chunk: Uint8Array): void {
    if (this.state === "closed") return;
    if (this.paused > 0) {
      this.pausedChunks.push(chunk.slice());
      return;
    }
    try {
      this.feedNow(chunk, 0);
    } catch (e) {
      this.fail(e);
    }
  }

  private feedNow(chunk: Uint8Array, start: number): void {
    let i = start;
    if (this.idReader) {
      const got = this.idReader.push(chunk, i);
      if (!got) return;
      this.peerId = got.id;
      this.peerVersion = got.id.version;
      for (const line of got.id.preBanner) this.log.debug(`banner line: ${escapeForLog(line)}`);
      this.log.debug(`Remote protocol version 2.0, remote software version ${escapeForLog(got.id.software, 100)}`);
      this.idReader = null;
      this.state = "open";
      i = got.next;
    }
    while (i < chunk.length && this.state === "open") {
      if (this.paused > 0) {
        this.pausedChunks.push(chunk.slice(i));
        return;
      }
      if (this.packet === null) {
        const need = this.cipherIn.lengthBytes - this.headerFill;
        const n = Math.min(need, chunk.length - i);
        for (let k = 0; k < n; k++) this.header[this.headerFill + k] = chunk[i + k]!;
        this.headerFill += n;
        i += n;
        if (this.headerFill < this.cipherIn.lengthBytes) return;
        this.startPacket();
      }
      const n = Math.min(this.packetTotal - this.packetFill, chunk.length - i);
      this.packet!.bytes.set(n === chunk.length - i && i === 0 ? chunk : chunk.subarray(i, i + n), this.packetFill);
      this.packetFill += n;
      i += n;
      if (this.packetFill === this.packetTotal) this.finishPacket();
    }
  }

  private startPacket(): void {
    const len = this.cipherIn.openLength(this.seqIn, this.header, 0);
    const block = this.cipherIn.blockBytes;
    const aligned = this.cipherIn.lengthIsAad ? len % block === 0 : (len + 4) % block === 0;
    if (len < 5 || len > MAX_PACKET_LENGTH || !aligned) {
      // packet.c: "Bad packet length %u." then "Packet corrupt"
      this.log.error(`Bad packet length ${len}.`);
      throw new ProtocolError(DisconnectReason.PROTOCOL_ERROR, "Packet corrupt");
    }
    this.packetLen = len;
    this.packetTotal = 4 + len + this.cipherIn.tagBytes;
    this.packet = this.pool.take(this.packetTotal);
    this.packet.bytes.set(this.header.subarray(0, this.cipherIn.lengthBytes));
    this.packetFill = this.cipherIn.lengthBytes;
    this.headerFill = 0;
  }

  private finishPacket(): void {
    const lease = this.packet!;
    this.packet = null;
    const bytes = lease.bytes;
    const len = this.packetLen;
    if (!this.cipherIn.open(this.seqIn, bytes, 0, len)) {
      lease.release();
      throw new ProtocolError(DisconnectReason.MAC_ERROR, "Corrupted MAC on input.");
    }
    const padLen = bytes[4]!;
    const payloadLen = len - padLen - 1;
    if (padLen < 4 || payloadLen < 1) {
      lease.release();
      throw new ProtocolError(DisconnectReason.PROTOCOL_ERROR, `padding error: need ${padLen + 1} block ${len}`);
    }
    const seq = this.seqIn;
    this.seqIn = (this.seqIn + 1) >>> 0;
    if (this.seqIn === 0 && this.strict && this.firstKex) {
      lease.release();
      throw new ProtocolError(DisconnectReason.PROTOCOL_ERROR, "incoming sequence number wrapped during initial key exchange");
    }
    this.bytesIn += this.packetTotal;
    this.dispatch(bytes.subarray(5, 5 + payloadLen), lease, seq);
    this.maybeRekey();
  }

  private dispatch(payload: Uint8Array, lease: Lease, seq: number): void {
    const msg = payload[0]!;
    this.dispatchSeq = seq;
    if (this.log.level >= 7) this.log.debug3(`receive packet: type ${msg}`);
    if (msg >= 50 || msg === 5 || msg === 6) {
      if (this.strict && this.firstKex) {
        lease.release();
        throw new ProtocolError(DisconnectReason.PROTOCOL_ERROR, `strict KEX violation: unexpected packet type ${msg} (seqnr ${seq})`);
      }
      if (this.sessionId.length === 0 || (this.kexInActive && this.firstKex)) {
        lease.release();
        throw new ProtocolError(DisconnectReason.PROTOCOL_ERROR, `protocol error: unexpected ${messageName(msg)} before key exchange finished`);
      }
      this.onMessage(payload, lease); // ownership of the lease moves up
      return;
    }
    // Transport messages are consumed here; the lease is released whatever happens.
    try {
      this.dispatchTransport(msg, payload, seq);
    } finally {
      lease.release();
    }
  }

  private dispatchTransport(msg: number, payload: Uint8Array, seq: number): void {
    // PROTOCOL §1.9 strict KEX: during the initial key exchange only KEX messages are allowed, KEXINIT first.
    if (this.strict && this.firstKex && !isKexMessage(msg)) {
      throw new ProtocolError(DisconnectReason.PROTOCOL_ERROR, `strict KEX violation: unexpected packet type ${msg} (seqnr ${seq})`);
    }
    if (this.firstKex && this.peerKexInit === null && msg !== SSH_MSG_KEXINIT && !(msg >= 1 && msg <= 4)) {
      throw new ProtocolError(DisconnectReason.PROTOCOL_ERROR, `protocol error: expected packet type ${SSH_MSG_KEXINIT}, got ${msg}`);
    }
    switch (msg) {
      case SSH_MSG_DISCONNECT: {
        const r = new Reader(payload, 1);
        const reason = r.u32();
        const text = r.string();
        // packet.c: "Received disconnect from %s port %d:%u: %.400s" (the client prints it; sshd logs it at INFO)
        this.log.info(`Received disconnect${this.opts.peerLabel ? ` from ${this.opts.peerLabel}` : ""}:${reason}: ${escapeForLog(text)}`);
        this.shutdown(new PeerDisconnectedError(reason, escapeForLog(text)));
        return;
      }
      case SSH_MSG_IGNORE:
        return;
      case SSH_MSG_DEBUG: {
        const r = new Reader(payload, 1);
        const display = r.bool();
        const text = r.string();
        (display ? this.log.info : this.log.debug)(`Remote: ${escapeForLog(text)}`);
        return;
      }
      case SSH_MSG_UNIMPLEMENTED:
        this.log.debug(`Received SSH2_MSG_UNIMPLEMENTED for ${new Reader(payload, 1).u32()}`);
        return;
      case SSH_MSG_KEXINIT:
        this.handleKexInit(payload.slice());
        return;
      case SSH_MSG_NEWKEYS:
        this.handleNewKeys();
        return;
      case SSH_MSG_EXT_INFO:
        this.handleExtInfo(payload);
        return;
      case SSH2_MSG_PING: {
        const data = new Reader(payload, 1).stringBytes();
        const w = this.begin(SSH2_MSG_PONG, data.length + 8);
        w.string(data);
        this.commit(w);
        return;
      }
      case SSH2_MSG_PONG:
        return;
    }
    if (!isKexMessage(msg)) {
      // RFC 4253 §11.4: an unknown transport-layer message gets UNIMPLEMENTED and is otherwise ignored.
      this.unimplemented();
      return;
    }
    if (this.ignoreNextKexPacket) {
      this.ignoreNextKexPacket = false;
      return;
    }
    this.handleKexMethodMessage(payload.slice());
  }

  // ---- key exchange -----------------------------------------------------------------------------------------

  private ourLists(): KexInitLists {
    const p = this.opts.preferences;
    const client = this.role === "client";
    const kex = [...p.kex];
    if (this.firstKex) kex.push(client ? EXT_INFO_C : EXT_INFO_S, client ? KEX_STRICT_C : KEX_STRICT_S);
    // Host certificates are not verified yet (their CA check belongs to known_hosts @cert-authority): a client offers
    // only plain host key algorithms, so a server with host certificates falls back to its plain keys.
    let hostKey = client ? p.hostKey.filter((a) => !a.endsWith("-cert-v01@openssh.com")) : [...p.hostKey];
    if (!client) {
      const can = new Set((this.opts.hostKeys ?? []).flatMap((k) => k.algorithms));
      hostKey = hostKey.filter((a) => can.has(a));
    }
    return {
      kex,
      hostKey,
      cipherC2S: p.ciphers,
      cipherS2C: p.ciphers,
      macC2S: p.macs,
      macS2C: p.macs,
      compC2S: p.compression,
      compS2C: p.compression,
      langC2S: [],
      langS2C: [],
      firstKexFollows: false,
    };
  }

  private sendKexInit(): void {
    if (this.kexOutActive) return;
    this.kexOutActive = true;
    const w = this.begin(SSH_MSG_KEXINIT, 1024);
    encodeKexInit(w, this.random(16), this.ourLists());
    this.ourKexInit = w.bytes.slice(5, w.pos);
    this.seal(w);
    this.log.debug("SSH2_MSG_KEXINIT sent");
    if (this.opts.rekeySeconds && this.rekeyTimer !== undefined) clearTimeout(this.rekeyTimer);
  }

  private handleKexInit(payload: Uint8Array): void {
    if (this.kexInActive) throw new ProtocolError(DisconnectReason.PROTOCOL_ERROR, "protocol error: KEXINIT during key exchange");
    this.log.debug("SSH2_MSG_KEXINIT received");
    this.kexInActive = true;
    this.peerKexInit = payload;
    if (!this.kexOutActive) this.sendKexInit();
    const peer = decodeKexInit(payload);
    const ours = decodeKexInit(this.ourKexInit!);
    const [client, server] = this.role === "client" ? [ours, peer] : [peer, ours];
    const tables = this.opts.tables;
    const n = negotiate(client, server, this.role, this.firstKex, (c) => tables.ciphers.find((s) => s.name === c)?.aead ?? false);
    if (this.firstKex) this.strict = n.strict;
    if (this.strict && this.firstKex && this.seqIn !== 1) {
      throw new ProtocolError(DisconnectReason.PROTOCOL_ERROR, "strict KEX violation: KEXINIT was not the first packet");
    }
    this.negotiated = n;
    this.ignoreNextKexPacket = n.ignoreGuessedPacket;
    this.log.debug(`kex: algorithm: ${n.kex}`);
    this.log.debug(`kex: host key algorithm: ${n.hostKey}`);
    this.log.debug(`kex: server->client cipher: ${n.cipherS2C} MAC: ${n.macS2C ?? "<implicit>"} compression: ${n.compS2C}`);
    this.log.debug(`kex: client->server cipher: ${n.cipherC2S} MAC: ${n.macC2S ?? "<implicit>"} compression: ${n.compC2S}`);
    if (this.role === "client") this.clientStartKex(n);
  }

  private kexSpec(n: Negotiated): KexAgreementSpec {
    const spec = this.opts.tables.kex.find((k) => k.name === n.kex);
    if (!spec) throw new ProtocolError(DisconnectReason.KEY_EXCHANGE_FAILED, `no implementation for ${n.kex}`);
    return spec;
  }

  private clientStartKex(n: Negotiated): void {
    const spec = this.kexSpec(n);
    if (spec.groupExchange) {
      // RFC 4419 §3 / kexgexc.c: ask for a group sized for the keys we need.
      const cipher = this.opts.tables.ciphers.find((c) => c.name === n.cipherC2S);
      const mac = this.opts.tables.macs.find((m) => m.name === n.macC2S);
      // kex.c kex_choose_conf dh_need: the cipher's *security* length (cipher_seclen: 3des-cbc 14 bytes, chacha 32),
      // block size, IV length and MAC key length.
      const seclen = cipher?.name === "3des-cbc" ? 14 : cipher?.name.startsWith("chacha20") ? 32 : (cipher?.keyBytes ?? 16);
      const need = Math.max(seclen, cipher?.blockBytes ?? 16, cipher?.ivBytes ?? 0, mac?.keyBytes ?? 0);
      const req = gexClientRequest(need);
      this.gex = { ...req, group: null, p: new Uint8Array(0), g: new Uint8Array(0) };
      const w = this.begin(SSH_MSG_KEX_DH_GEX_REQUEST, 16);
      w.u32(req.min).u32(req.n).u32(req.max);
      this.seal(w);
      this.log.debug(`SSH2_MSG_KEX_DH_GEX_REQUEST(${req.min}<${req.n}<${req.max}) sent`);
      return;
    }
    this.pause();
    spec
      .clientInit()
      .then((state) => {
        if (this.state === "closed") return;
        // FFDH sends e as an mpint (RFC 4253 §8), the others Q_C as a string: the body bytes are what H hashes.
        const value = valueBody(spec, state.message);
        this.clientKexState = { message: value, finish: (m) => state.finish(m) };
        const w = this.begin(SSH_MSG_KEX_ECDH_INIT, value.length + 8);
        w.string(value);
        this.seal(w);
        this.log.debug("expecting SSH2_MSG_KEX_ECDH_REPLY");
        this.resume();
      })
      .catch((e) => this.fail(e));
  }

  private handleKexMethodMessage(payload: Uint8Array): void {
    const msg = payload[0]!;
    const n = this.negotiated;
    if (!n || !this.kexInActive) throw new ProtocolError(DisconnectReason.PROTOCOL_ERROR, `protocol error: unexpected ${messageName(msg)}`);
    if (this.kexSpec(n).groupExchange) {
      this.handleGexMessage(n, payload);
      return;
    }
    if (this.role === "server" && msg === SSH_MSG_KEX_ECDH_INIT) {
      const r = new Reader(payload, 1);
      const clientValue = r.stringBytes();
      r.expectEnd("KEX_ECDH_INIT");
      this.pause();
      this.serverKex(n, clientValue).then(
        () => this.resume(),
        (e) => this.fail(e),
      );
      return;
    }
    if (this.role === "client" && msg === SSH_MSG_KEX_ECDH_REPLY && this.clientKexState) {
      const r = new Reader(payload, 1);
      const hostKey = r.stringBytes();
      const serverValue = r.stringBytes();
      const signature = r.stringBytes();
      r.expectEnd("KEX_ECDH_REPLY");
      const state = this.clientKexState;
      this.clientKexState = null;
      this.pause();
      this.clientFinishKex(n, state, hostKey, serverValue, signature).then(
        () => this.resume(),
        (e) => this.fail(e),
      );
      return;
    }
    throw new ProtocolError(DisconnectReason.PROTOCOL_ERROR, `protocol error: unexpected ${messageName(msg)} during ${n.kex}`);
  }

  /** RFC 4419 group exchange: REQUEST → GROUP → INIT → REPLY, with min, n, max, p and g in the exchange hash. */
  private handleGexMessage(n: Negotiated, payload: Uint8Array): void {
    const msg = payload[0]!;
    const spec = this.kexSpec(n);
    const r = new Reader(payload, 1);
    if (this.role === "server" && msg === SSH_MSG_KEX_DH_GEX_REQUEST && this.gex === null) {
      const req = { min: r.u32(), n: r.u32(), max: r.u32() };
      r.expectEnd("KEX_DH_GEX_REQUEST");
      const range = gexServerRange(req);
      let group: DhGroup = dhFallbackGroup(range.max);
      try {
        const { entries } = parseModuli(readFileSync(this.opts.moduliFile ?? "/etc/ssh/moduli", "latin1"));
        const chosen = chooseModulus(entries, range.min, range.n, range.max);
        if (chosen) group = chosen.group;
      } catch {
        this.log.info("WARNING: could not open moduli file; using fixed groups"); // dh.c: "WARNING: could not open %s"
      }
      const p = bigBytes(group.p);
      const g = bigBytes(group.g);
      this.gex = { ...req, group, p, g };
      const w = this.begin(SSH_MSG_KEX_DH_GEX_GROUP, p.length + g.length + 16);
      w.mpintUnsigned(p).mpintUnsigned(g);
      this.seal(w);
      return;
    }
    if (this.role === "client" && msg === SSH_MSG_KEX_DH_GEX_GROUP && this.gex !== null && this.gex.group === null) {
      const p = r.mpintView().slice();
      const g = r.mpintView().slice();
      r.expectEnd("KEX_DH_GEX_GROUP");
      const group = dhGroupFromWire(p, g, this.gex.min, this.gex.max);
      this.gex = { ...this.gex, group, p, g };
      const agreement = dhAgreement(spec.name, spec.hash, group, spec.legacy);
      this.pause();
      agreement.clientInit().then((state) => {
        if (this.state === "closed") return;
        const value = mpintBody(state.message);
        this.clientKexState = { message: value, finish: (m) => state.finish(m) };
        const w = this.begin(SSH_MSG_KEX_DH_GEX_INIT, value.length + 8);
        w.string(value);
        this.seal(w);
        this.resume();
      }, (e) => this.fail(e));
      return;
    }
    if (this.role === "server" && msg === SSH_MSG_KEX_DH_GEX_INIT && this.gex?.group) {
      const e = r.mpintView().slice();
      r.expectEnd("KEX_DH_GEX_INIT");
      this.pause();
      this.serverKex(n, e, SSH_MSG_KEX_DH_GEX_REPLY).then(() => this.resume(), (err) => this.fail(err));
      return;
    }
    if (this.role === "client" && msg === SSH_MSG_KEX_DH_GEX_REPLY && this.clientKexState) {
      const hostKey = r.stringBytes();
      const f = r.mpintView().slice();
      const signature = r.stringBytes();
      r.expectEnd("KEX_DH_GEX_REPLY");
      const state = this.clientKexState;
      this.clientKexState = null;
      this.pause();
      this.clientFinishKex(n, state, hostKey, f, signature).then(() => this.resume(), (err) => this.fail(err));
      return;
    }
    throw new ProtocolError(DisconnectReason.PROTOCOL_ERROR, `protocol error: unexpected ${messageName(msg)} during ${n.kex}`);
  }

  /** dh.c dh_pub_is_valid's "bits set: N/M" debug line for a peer's finite-field DH value (OpenSSH's dhgex test reads it). */
  private logDhBits(kex: string, value: Uint8Array): void {
    if (!kex.startsWith("diffie-hellman-")) return;
    const pBits = this.gex?.group?.bits ?? (kex.includes("group1-") ? 1024 : kex.includes("group14") ? 2048 : kex.includes("group16") ? 4096 : 8192);
    let set = 0;
    for (const b of value) for (let x = b; x; x &= x - 1) set++;
    this.log.debug2(`bits set: ${set}/${pBits}`);
  }

  /** The group-exchange fields of H, when this exchange is one. */
  private gexHashFields(): { min: number; n: number; max: number; p: Uint8Array; g: Uint8Array } | undefined {
    const x = this.gex;
    return x && x.group ? { min: x.min, n: x.n, max: x.max, p: x.p, g: x.g } : undefined;
  }

  private async serverKex(n: Negotiated, clientValue: Uint8Array, replyMsg: number = SSH_MSG_KEX_ECDH_REPLY): Promise<void> {
    const spec = this.kexSpec(n);
    const signer = (this.opts.hostKeys ?? []).find((k) => k.algorithms.includes(n.hostKey));
    if (!signer) throw new ProtocolError(DisconnectReason.KEY_EXCHANGE_FAILED, `no host key for ${n.hostKey}`);
    const agreement = spec.groupExchange ? dhAgreement(spec.name, spec.hash, this.gex!.group!, spec.legacy) : spec;
    const { message: raw, sharedSecret } = await agreement.serverRespond(clientValue);
    const message = valueBody(agreement, raw);
    const gexFields = this.gexHashFields();
    const h = exchangeHash(spec.hash, {
      clientVersion: this.peerVersion,
      serverVersion: this.ourVersion,
      clientKexInit: this.peerKexInit!,
      serverKexInit: this.ourKexInit!,
      serverHostKey: signer.publicKeyBlob,
      ...(gexFields ? { gex: gexFields } : {}),
      clientValue,
      serverValue: message,
      sharedSecret,
    });
    const signature = await signer.sign(n.hostKey, h);
    if (this.state === "closed") return;
    const w = this.begin(replyMsg, signer.publicKeyBlob.length + message.length + signature.length + 16);
    w.string(signer.publicKeyBlob).string(message).string(signature);
    this.seal(w);
    this.installKeys(n, spec, sharedSecret, h, signer.publicKeyBlob);
  }

  private async clientFinishKex(n: Negotiated, state: KexClientState, hostKey: Uint8Array, serverValue: Uint8Array, signature: Uint8Array): Promise<void> {
    const spec = this.kexSpec(n);
    const sharedSecret = await state.finish(serverValue);
    this.logDhBits(spec.name, serverValue);
    const gexFields = this.gexHashFields();
    const h = exchangeHash(spec.hash, {
      clientVersion: this.ourVersion,
      serverVersion: this.peerVersion,
      clientKexInit: this.ourKexInit!,
      serverKexInit: this.peerKexInit!,
      serverHostKey: hostKey,
      ...(gexFields ? { gex: gexFields } : {}),
      clientValue: state.message,
      serverValue,
      sharedSecret,
    });
    // RFC 4253 §8: the signature's algorithm must be the negotiated host key algorithm.
    const sigAlg = new Reader(signature).string();
    if (sigAlg !== n.hostKey || !this.opts.verifySignature(n.hostKey, hostKey, h, signature)) {
      throw new ProtocolError(DisconnectReason.KEY_EXCHANGE_FAILED, "incorrect signature");
    }
    if (this.sessionId.length > 0 && !equalBytes(hostKey, this.serverHostKey)) {
      // A rekey must not switch host keys under us (OpenSSH checks the same: "Server host key changed during rekey")
      throw new ProtocolError(DisconnectReason.HOST_KEY_NOT_VERIFIABLE, "server host key changed during rekey");
    }
    if (this.sessionId.length === 0 && this.opts.checkHostKey) {
      const ok = await this.opts.checkHostKey(hostKey, n.hostKey);
      if (!ok) throw new HostKeyVerificationError("Host key verification failed.");
    }
    if (this.state === "closed") return;
    this.installKeys(n, spec, sharedSecret, h, hostKey);
  }

  /** Derives the next keys, sends NEWKEYS and switches our outgoing direction (the incoming one switches at the peer's NEWKEYS). */
  private installKeys(n: Negotiated, spec: KexAgreementSpec, k: Uint8Array, h: Uint8Array, hostKey: Uint8Array): void {
    if (this.sessionId.length === 0) {
      this.sessionId = h;
      this.serverHostKey = hostKey;
    }
    const client = this.role === "client";
    const c2s = this.buildCipher(spec, k, h, n.cipherC2S, n.macC2S, "A", "C", "E", client ? "seal" : "open");
    const s2c = this.buildCipher(spec, k, h, n.cipherS2C, n.macS2C, "B", "D", "F", client ? "open" : "seal");
    const [out, inn] = client ? [c2s, s2c] : [s2c, c2s];
    this.pendingKeys = { cipherOut: out.cipher, cipherIn: inn.cipher, rekeyOut: out.limit, rekeyIn: inn.limit };
    const w = this.begin(SSH_MSG_NEWKEYS, 1);
    this.seal(w);
    this.log.debug("SSH2_MSG_NEWKEYS sent");
    this.cipherOut.dispose();
    this.cipherOut = out.cipher;
    this.rekeyOut = out.limit;
    this.bytesOut = 0;
    if (this.strict) this.seqOut = 0; // PROTOCOL §1.9: reset after NEWKEYS sent
    this.kexOutActive = false;
    if (this.firstKex && this.role === "server" && n.peerWantsExtInfo) this.sendExtInfo();
    if (!this.kexInActive) this.kexDone();
    this.releaseHeld();
  }

  private buildCipher(
    spec: KexAgreementSpec, k: Uint8Array, h: Uint8Array, cipherName: string, macName: string | null,
    ivLetter: string, keyLetter: string, macLetter: string, direction: "seal" | "open",
  ): { cipher: PacketCipher; limit: number } {
    const c = this.opts.tables.ciphers.find((s) => s.name === cipherName);
    if (!c) throw new ProtocolError(DisconnectReason.KEY_EXCHANGE_FAILED, `no implementation for cipher ${cipherName}`);
    const sid = this.sessionId;
    const iv = deriveKey(spec.hash, k, h, ivLetter, sid, c.ivBytes);
    const key = deriveKey(spec.hash, k, h, keyLetter, sid, c.keyBytes);
    // packet.c ssh_set_newkeys: 2^(2*block) blocks for 128-bit blocks, else 2^30 bytes' worth; RekeyLimit lowers it.
    const defaultLimit = c.blockBytes >= 16 ? 2 ** 32 * c.blockBytes : 2 ** 30;
    const limit = Math.min(defaultLimit, this.opts.rekeyBytes ?? Infinity);
    if (c.aead) return { cipher: c.createAead!(key, iv, direction), limit };
    const m = this.opts.tables.macs.find((s) => s.name === macName);
    if (!m) throw new ProtocolError(DisconnectReason.KEY_EXCHANGE_FAILED, `no implementation for MAC ${macName}`);
    const macKey = deriveKey(spec.hash, k, h, macLetter, sid, m.keyBytes);
    return { cipher: composePacketCipher(c.createStream!(key, iv, direction), m.create(macKey), m.etm), limit };
  }

  private handleNewKeys(): void {
    if (!this.kexInActive || this.pendingKeys === null) throw new ProtocolError(DisconnectReason.PROTOCOL_ERROR, "protocol error: unexpected SSH_MSG_NEWKEYS");
    this.log.debug("SSH2_MSG_NEWKEYS received");
    this.cipherIn.dispose();
    this.cipherIn = this.pendingKeys.cipherIn;
    this.rekeyIn = this.pendingKeys.rekeyIn;
    this.bytesIn = 0;
    if (this.strict) this.seqIn = 0; // PROTOCOL §1.9: reset after NEWKEYS received
    this.kexInActive = false;
    if (!this.kexOutActive) this.kexDone();
  }

  private kexDone(): void {
    this.keyExchanges++;
    this.gex = null;
    this.pendingKeys = null;
    this.peerKexInit = null;
    this.ourKexInit = null;
    const first = this.firstKex;
    this.firstKex = false;
    if (this.opts.rekeySeconds && this.opts.rekeySeconds > 0) {
      clearTimeout(this.rekeyTimer);
      this.rekeyTimer = setTimeout(() => {
        if (!this.opts.rekeyAfterAuthOnly || this.authenticated) this.rekey();
      }, this.opts.rekeySeconds * 1000);
      (this.rekeyTimer as { unref?: () => void }).unref?.();
    }
    if (first) this.resolveReady();
    this.maybeRekey();
    this.releaseHeld();
  }

  private sendExtInfo(): void {
    const ext = this.opts.serverExtensions ?? new Map<string, Uint8Array>();
    const w = this.begin(SSH_MSG_EXT_INFO, 512);
    w.u32(ext.size);
    for (const [name, value] of ext) w.string(name).string(value);
    this.seal(w);
  }

  private handleExtInfo(payload: Uint8Array): void {
    const r = new Reader(payload, 1);
    const count = r.u32();
    if (count > 64) throw new ProtocolError(DisconnectReason.PROTOCOL_ERROR, "too many extensions in EXT_INFO");
    for (let i = 0; i < count; i++) {
      const name = r.string();
      const value = r.stringBytes();
      this.peerExtensions.set(name, value);
      this.log.debug(`kex_ext_info_check_ver: ${escapeForLog(name)}=<${value.length} bytes>`);
    }
  }

  // ---- outbound ---------------------------------------------------------------------------------------------

  /** Pads and seals `w` in place and queues it for the link (RFC 4253 §6). */
  private seal(w: Writer): void {
    const cipher = this.cipherOut;
    const block = cipher.blockBytes;
    const start = w.headroom - 5; // the packet starts `skew` bytes into the buffer (begin())
    const payloadLen = w.pos - w.headroom;
    const covered = cipher.lengthIsAad ? 1 + payloadLen : 5 + payloadLen;
    let pad = block - (covered % block);
    if (pad < 4) pad += block;
    w.ensure(pad, cipher.tagBytes);
    const bytes = w.bytes;
    for (let i = 0; i < pad; i++) {
      if (this.padPos === this.padRandom.length) {
        this.padRandom.set(this.random(this.padRandom.length));
        this.padPos = 0;
      }
      bytes[w.pos + i] = this.padRandom[this.padPos++]!;
    }
    const len = 1 + payloadLen + pad;
    bytes[start] = len >>> 24;
    bytes[start + 1] = (len >>> 16) & 0xff;
    bytes[start + 2] = (len >>> 8) & 0xff;
    bytes[start + 3] = len & 0xff;
    bytes[start + 4] = pad;
    cipher.seal(this.seqOut, bytes, start, len);
    this.seqOut = (this.seqOut + 1) >>> 0;
    const total = 4 + len + cipher.tagBytes;
    this.bytesOut += total;
    this.enqueue(w.takeLease(), bytes, start, start + total);
  }

  /** Tells the transport that user authentication succeeded: rekeying by RekeyLimit may start from now on. */
  markAuthenticated(): void {
    this.authenticated = true;
    this.maybeRekey();
  }

  /** RekeyLimit by bytes: starts a key exchange once either direction passed its limit, never inside one. */
  private maybeRekey(): void {
    if (this.kexOutActive || this.kexInActive || this.sessionId.length === 0 || this.state !== "open") return;
    if (this.opts.rekeyAfterAuthOnly && !this.authenticated) return;
    if (this.bytesOut > this.rekeyOut || this.bytesIn > this.rekeyIn) {
      this.log.debug(`rekeying after ${this.bytesOut > this.rekeyOut ? "outbound" : "inbound"} limit`);
      this.sendKexInit();
    }
  }

  private writeRaw(bytes: Uint8Array): void {
    this.enqueue(null, bytes, 0, bytes.length);
  }

  private enqueue(lease: Lease | null, bytes: Uint8Array, start: number, end: number): void {
    if (this.outQueue.length === 0) {
      const n = this.opts.link.write(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end));
      if (n >= end - start) {
        lease?.release();
        return;
      }
      this.outQueue.push({ lease, bytes, off: start + n, end });
      this.backlogBytes += end - start - n;
    } else {
      this.outQueue.push({ lease, bytes, off: start, end });
      this.backlogBytes += end - start;
    }
    if (this.backlogBytes > HIGH_WATER) this.writableArmed = true;
  }

  private flush(): void {
    while (this.outQueue.length > 0) {
      const c = this.outQueue[0]!;
      const n = this.opts.link.write(c.bytes.subarray(c.off, c.end));
      c.off += n;
      this.backlogBytes -= n;
      if (c.off < c.end) break;
      this.outQueue.shift();
      c.lease?.release();
    }
    if (this.endWhenFlushed && this.outQueue.length === 0) {
      this.endWhenFlushed = false;
      this.opts.link.end();
    }
    if (this.writableArmed && this.backlogBytes < LOW_WATER && this.state !== "closed") {
      this.writableArmed = false;
      this.onWritable();
    }
  }

  private releaseHeld(): void {
    while (this.heldForKex.length > 0 && !this.kexOutActive && this.state === "open") {
      // A long backlog may itself pass the limit: the rest waits for the next keys (kexDone starts that exchange).
      if (this.bytesOut > this.rekeyOut) {
        this.maybeRekey();
        if (this.kexOutActive || this.kexInActive) return;
      }
      this.seal(this.heldForKex.shift()!);
    }
  }

  // ---- pausing, failing, closing ----------------------------------------------------------------------------

  private isClosed(): boolean {
    return this.state === "closed";
  }

  private pause(): void {
    this.paused++;
  }

  private resume(): void {
    if (--this.paused > 0 || this.state === "closed") return;
    try {
      while (this.pausedChunks.length > 0 && this.paused === 0 && !this.isClosed()) this.feedNow(this.pausedChunks.shift()!, 0);
    } catch (e) {
      this.fail(e);
    }
  }

  /** Turns an error from processing into a DISCONNECT (when it is ours to send) and a close. */
  private fail(e: unknown): void {
    if (this.state === "closed") return;
    const error = e instanceof Error ? e : new Error(String(e));
    if (error instanceof IdentificationError) {
      if (error.toPeer) this.writeRaw(new TextEncoder().encode(`${error.toPeer}\r\n`));
      this.log.verbose(error.log);
      this.shutdown(error);
      return;
    }
    if (error instanceof ProtocolError) {
      this.log.debug(`disconnect: ${error.message}`);
      this.disconnectWith(error.reason, error.message, error);
      return;
    }
    if (error instanceof NegotiationError) {
      this.disconnectWith(DisconnectReason.KEY_EXCHANGE_FAILED, error.message, error);
      return;
    }
    if (error instanceof KexError) {
      this.disconnectWith(DisconnectReason.KEY_EXCHANGE_FAILED, error.message, error);
      return;
    }
    if (error instanceof HostKeyVerificationError) {
      this.shutdown(error);
      return;
    }
    // Anything else is a bug: say so in the log with its stack, and tell the peer no more than PROTOCOL_ERROR.
    this.log.error(`internal error: ${error.stack ?? error.message}`);
    this.disconnectWith(DisconnectReason.PROTOCOL_ERROR, "internal error", error);
  }

  private disconnectWith(reason: number, description: string, error: Error): void {
    if (this.state === "open" || this.state === "version") {
      const w = this.begin(SSH_MSG_DISCONNECT, description.length + 16);
      w.u32(reason).string(description).string("");
      this.seal(w);
    }
    this.shutdown(error);
  }

  private dropQueue(): void {
    for (const c of this.outQueue) c.lease?.release();
    this.outQueue.length = 0;
    this.backlogBytes = 0;
    this.endWhenFlushed = false;
  }

  private linkEnded(error?: Error): void {
    if (this.state === "closed") {
      this.dropQueue();
      return;
    }
    this.shutdown(new ConnectionLostError(error ? `Connection to peer lost: ${error.message}` : "Connection closed by remote host"));
  }

  private shutdown(error: Error | undefined): void {
    if (this.state === "closed") return;
    this.state = "closed";
    clearTimeout(this.rekeyTimer);
    this.packet?.release();
    this.packet = null;
    if (this.outQueue.length === 0 || error instanceof ConnectionLostError) {
      this.dropQueue();
      this.opts.link.end();
    } else {
      // Let the last packets (a DISCONNECT above all) reach the peer, but never wait on a peer that stopped reading.
      this.endWhenFlushed = true;
      const t = setTimeout(() => {
        this.dropQueue();
        this.opts.link.end();
      }, 5000);
      (t as { unref?: () => void }).unref?.();
    }
    for (const w of this.heldForKex) w.release();
    this.heldForKex.length = 0;
    this.pausedChunks.length = 0;
    this.cipherIn.dispose();
    this.cipherOut.dispose();
    if (this.sessionId.length === 0 || this.firstKex) this.rejectReady(error ?? new HandshakeError("connection closed during key exchange"));
    this.resolveClosed(error);
    this.onClose(error);
  }
}

/** Unsigned big-endian bytes of a bigint. */
function bigBytes(v: bigint): Uint8Array {
  let hex = v.toString(16);
  if (hex.length % 2) hex = "0" + hex;
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

/** An unsigned magnitude as an mpint body (leading zeros dropped, 0x00 added when the top bit is set). */
function mpintBody(value: Uint8Array): Uint8Array {
  let i = 0;
  while (i < value.length && value[i] === 0) i++;
  const m = value.subarray(i);
  if (m.length > 0 && m[0]! & 0x80) {
    const out = new Uint8Array(m.length + 1);
    out.set(m, 1);
    return out;
  }
  return m.slice();
}

/** The field body for a key-exchange value: FFDH magnitudes become mpint bodies (RFC 4251 §5), the rest pass as they are. */
function valueBody(spec: KexAgreementSpec, value: Uint8Array): Uint8Array {
  return spec.name.startsWith("diffie-hellman-") ? mpintBody(value) : value;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

// the packet cipher core/crypto builds for aes*-gcm (crypto imports nothing of ours, so it is marked from here)
keepOutOfFtl([Transport, AesGcmOpenSsh], [aesGcmSeal, aesGcmOpen, updateInto, alignmentHead]);
