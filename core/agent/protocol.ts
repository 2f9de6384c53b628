// The ssh-agent protocol (RFC 9987 / OpenSSH's PROTOCOL.agent; our summary: shared/protocol-notes/agent.md): message
// numbers, framing and the codecs of the requests ssh makes and the answers it reads. The agent program (a later issue)
// reuses the same codecs from the other side. Every decoder is bounded: a message is at most MAX_AGENT_MESSAGE bytes
// (authfd.c's AGENT_MAX_LEN) and a short or oversized field is an AgentProtocolError, never a RangeError.
import { Reader } from "../wire/reader.ts";
import { Writer } from "../wire/writer.ts";
import { SshError } from "../errors.ts";

export const SSH_AGENT_FAILURE = 5;
export const SSH_AGENT_SUCCESS = 6;
export const SSH_AGENTC_REQUEST_IDENTITIES = 11;
export const SSH_AGENT_IDENTITIES_ANSWER = 12;
export const SSH_AGENTC_SIGN_REQUEST = 13;
export const SSH_AGENT_SIGN_RESPONSE = 14;
export const SSH_AGENTC_ADD_IDENTITY = 17;
export const SSH_AGENTC_REMOVE_IDENTITY = 18;
export const SSH_AGENTC_REMOVE_ALL_IDENTITIES = 19;
export const SSH_AGENTC_LOCK = 22;
export const SSH_AGENTC_UNLOCK = 23;
export const SSH_AGENTC_ADD_ID_CONSTRAINED = 25;
export const SSH_AGENTC_EXTENSION = 27;
export const SSH_AGENT_EXTENSION_FAILURE = 28;
export const SSH_AGENT_EXTENSION_RESPONSE = 29;

export const SSH_AGENT_CONSTRAIN_LIFETIME = 1;
export const SSH_AGENT_CONSTRAIN_CONFIRM = 2;

/** Sign request flags (authfd.h). */
export const SSH_AGENT_RSA_SHA2_256 = 0x02;
export const SSH_AGENT_RSA_SHA2_512 = 0x04;

/** authfd.c AGENT_MAX_LEN: the largest message either side accepts. */
export const MAX_AGENT_MESSAGE = 256 * 1024;
/** authfd.c MAX_AGENT_IDENTITIES: more keys than this in one answer is a broken agent. */
export const MAX_AGENT_IDENTITIES = 2048;

/** A malformed or unexpected agent message (the agent is a peer too: its bytes are untrusted). */
export class AgentProtocolError extends SshError {
  override name = "AgentProtocolError";
}

/** One key the agent holds. */
export interface AgentIdentity {
  /** Public key or certificate blob (copied out of the message). */
  readonly blob: Uint8Array;
  readonly comment: string;
}

/** Frames a request: `uint32 length ‖ byte type ‖ body`. */
export function agentMessage(type: number, body: (w: Writer) => void = () => {}): Uint8Array {
  const w = new Writer();
  w.u32(0).u8(type);
  body(w);
  const bytes = w.toBytes();
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(0, bytes.length - 4);
  return bytes;
}

/** The flags of a sign request for `algorithm` (authfd.c agent_encode_alg): RSA's SHA-2 variants, else none. */
export function signFlags(algorithm: string): number {
  if (algorithm === "rsa-sha2-256" || algorithm === "rsa-sha2-256-cert-v01@openssh.com") return SSH_AGENT_RSA_SHA2_256;
  if (algorithm === "rsa-sha2-512" || algorithm === "rsa-sha2-512-cert-v01@openssh.com") return SSH_AGENT_RSA_SHA2_512;
  return 0;
}

export function encodeRequestIdentities(): Uint8Array {
  return agentMessage(SSH_AGENTC_REQUEST_IDENTITIES);
}

export function encodeSignRequest(keyBlob: Uint8Array, data: Uint8Array, flags: number): Uint8Array {
  return agentMessage(SSH_AGENTC_SIGN_REQUEST, (w) => w.string(keyBlob).string(data).u32(flags));
}

/**
 * ADD_IDENTITY (or ADD_ID_CONSTRAINED when constraints are given): `string type ‖ private fields ‖ string comment`,
 * the private fields exactly as openssh-key-v1 stores them (for certificates: the certificate blob, then the private
 * scalars), then each constraint.
 */
export function encodeAddIdentity(
  type: string,
  privateFields: Uint8Array,
  comment: string,
  constraints: { lifetimeSeconds?: number; confirm?: boolean } = {},
): Uint8Array {
  const constrained = (constraints.lifetimeSeconds ?? 0) > 0 || constraints.confirm === true;
  return agentMessage(constrained ? SSH_AGENTC_ADD_ID_CONSTRAINED : SSH_AGENTC_ADD_IDENTITY, (w) => {
    w.string(type).raw(privateFields).string(comment);
    if ((constraints.lifetimeSeconds ?? 0) > 0) w.u8(SSH_AGENT_CONSTRAIN_LIFETIME).u32(constraints.lifetimeSeconds!);
    if (constraints.confirm === true) w.u8(SSH_AGENT_CONSTRAIN_CONFIRM);
  });
}

function reader(payload: Uint8Array, expected: number, what: string): Reader {
  if (payload.length === 0) throw new AgentProtocolError(`${what}: empty message`);
  const type = payload[0]!;
  if (type === SSH_AGENT_FAILURE || type === SSH_AGENT_EXTENSION_FAILURE) throw new AgentRefusedError(what);
  if (type !== expected) throw new AgentProtocolError(`${what}: unexpected message type ${type}`);
  return new Reader(payload, 1);
}

/** The agent answered FAILURE (it refused, or the key is not there). */
export class AgentRefusedError extends SshError {
  override name = "AgentRefusedError";
  constructor(readonly request: string) {
    super("agent refused operation");
  }
}

/** IDENTITIES_ANSWER: `uint32 nkeys`, then nkeys × (`string blob ‖ string comment`). */
export function decodeIdentitiesAnswer(payload: Uint8Array): AgentIdentity[] {
  try {
    const r = reader(payload, SSH_AGENT_IDENTITIES_ANSWER, "identities");
    const n = r.u32();
    if (n > MAX_AGENT_IDENTITIES) throw new AgentProtocolError(`identities: too many keys (${n})`);
    const out: AgentIdentity[] = [];
    for (let i = 0; i < n; i++) out.push({ blob: r.stringBytes(), comment: r.string() });
    return out;
  } catch (e) {
    if (e instanceof AgentRefusedError || e instanceof AgentProtocolError) throw e;
    throw new AgentProtocolError(`identities: ${(e as Error).message}`);
  }
}

/** SIGN_RESPONSE: `string signature` (the full SSH signature blob). */
export function decodeSignResponse(payload: Uint8Array): Uint8Array {
  try {
    return reader(payload, SSH_AGENT_SIGN_RESPONSE, "sign").stringBytes();
  } catch (e) {
    if (e instanceof AgentRefusedError || e instanceof AgentProtocolError) throw e;
    throw new AgentProtocolError(`sign: ${(e as Error).message}`);
  }
}

/** SUCCESS, or AgentRefusedError for FAILURE. */
export function decodeStatus(payload: Uint8Array, what: string): void {
  reader(payload, SSH_AGENT_SUCCESS, what);
}
