// Test fixtures for transports: host key signers from node:crypto keys, and client/server transports joined by memory.
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { blobFromPublicKeyObject, signatureSpec } from "../../core/crypto/signatures.ts";
import { CIPHERS, DEFAULT_PROPOSAL, KEX_METHODS, MACS, verifySignature } from "../../core/crypto/registry.ts";
import { memoryLinkPair, type Link, type MemoryLinkOptions } from "../../core/transport/link.ts";
import { Transport, type AlgorithmPreferences, type HostKeySigner, type TransportOptions } from "../../core/transport/transport.ts";
import { BufferPool } from "../../core/wire/index.ts";

export type HostKeyKind = "ed25519" | "ecdsa256" | "ecdsa384" | "ecdsa521" | "rsa";

const cache = new Map<HostKeyKind, KeyObject>();

/** A private key of the given kind (generated once per test process). */
export function testPrivateKey(kind: HostKeyKind): KeyObject {
  let k = cache.get(kind);
  if (!k) {
    k =
      kind === "ed25519" ? generateKeyPairSync("ed25519").privateKey
      : kind === "rsa" ? generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey
      : generateKeyPairSync("ec", { namedCurve: { ecdsa256: "prime256v1", ecdsa384: "secp384r1", ecdsa521: "secp521r1" }[kind] }).privateKey;
    cache.set(kind, k);
  }
  return k;
}

/** The signature algorithms a key of `kind` can make, best first. */
export function algorithmsFor(kind: HostKeyKind): string[] {
  return kind === "ed25519" ? ["ssh-ed25519"] : kind === "rsa" ? ["rsa-sha2-512", "rsa-sha2-256"] : [`ecdsa-sha2-nistp${kind.slice(5)}`];
}

/** A HostKeySigner over a node:crypto private key. */
export function hostKeySigner(kind: HostKeyKind): HostKeySigner {
  const key = testPrivateKey(kind);
  const { createPublicKey } = require("node:crypto") as typeof import("node:crypto");
  return {
    algorithms: algorithmsFor(kind),
    publicKeyBlob: blobFromPublicKeyObject(createPublicKey(key)),
    sign: (algorithm, data) => signatureSpec(algorithm)!.sign(key, data),
  };
}

export const TABLES = { ciphers: CIPHERS, macs: MACS, kex: KEX_METHODS };

/** Preferences with one slot narrowed (for the algorithm matrix). */
export function prefs(over: Partial<AlgorithmPreferences> = {}): AlgorithmPreferences {
  return {
    kex: DEFAULT_PROPOSAL.kexClient,
    hostKey: DEFAULT_PROPOSAL.hostKey,
    ciphers: DEFAULT_PROPOSAL.ciphers,
    macs: DEFAULT_PROPOSAL.macs,
    compression: ["none"],
    ...over,
  };
}

/** A client and a server transport joined by memory links. */
export function transportPair(opts: {
  client?: Partial<AlgorithmPreferences>;
  server?: Partial<AlgorithmPreferences>;
  hostKeys?: HostKeyKind[];
  link?: MemoryLinkOptions;
  pool?: BufferPool;
  extra?: Partial<TransportOptions>;
  wrap?: (links: [Link, Link]) => [Link, Link];
} = {}): { client: Transport; server: Transport; pool: BufferPool } {
  const pool = opts.pool ?? new BufferPool({ checked: true });
  let links = memoryLinkPair(opts.link ?? {});
  if (opts.wrap) links = opts.wrap(links);
  const [a, b] = links;
  const server = new Transport({
    role: "server", link: b, tables: TABLES, preferences: prefs(opts.server), software: "sshbox_test",
    hostKeys: (opts.hostKeys ?? ["ed25519"]).map(hostKeySigner), verifySignature, pool, ...opts.extra,
    serverExtensions: new Map([["server-sig-algs", new TextEncoder().encode("ssh-ed25519,rsa-sha2-256")]]),
  });
  const client = new Transport({
    role: "client", link: a, tables: TABLES, preferences: prefs(opts.client), software: "sshbox_test",
    verifySignature, checkHostKey: () => true, pool, ...opts.extra,
  });
  return { client, server, pool };
}
