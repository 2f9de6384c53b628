// Key fingerprints as OpenSSH prints them (sshkey.c: fingerprint_b64, fingerprint_hex, fingerprint_bubblebabble,
// fingerprint_randomart): `SHA256:` + unpadded base64, `MD5:` + colon hex, Bubble Babble, and the "random art" picture.
// Digests through Bun.CryptoHasher, not node:crypto (~3 ms to load): ssh-keygen's quick generation path uses this file.

/** Digest used for a fingerprint (`-E`). */
export type FingerprintHash = "sha256" | "md5" | "sha1" | "sha384" | "sha512";

/** The raw digest of a key blob (fresh buffer). */
export function fingerprintDigest(blob: Uint8Array, hash: FingerprintHash): Uint8Array {
  const d = new Bun.CryptoHasher(hash).update(blob).digest();
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

const HASH_NAME: Readonly<Record<FingerprintHash, string>> = { sha256: "SHA256", md5: "MD5", sha1: "SHA1", sha384: "SHA384", sha512: "SHA512" };

/** ssh_digest_alg_name(): the prefix of a fingerprint and the randomart footer. */
export function fingerprintHashName(hash: FingerprintHash): string {
  return HASH_NAME[hash];
}

/** `SHA256:…` (base64 without padding) or `MD5:aa:bb:…` (hex with colons), as `ssh-keygen -l` prints them. */
export function fingerprint(blob: Uint8Array, hash: FingerprintHash = "sha256"): string {
  const d = fingerprintDigest(blob, hash);
  if (hash === "md5") return `MD5:${Array.from(d, (b) => b.toString(16).padStart(2, "0")).join(":")}`;
  return `${HASH_NAME[hash]}:${Buffer.from(d).toString("base64").replace(/=+$/, "")}`;
}

const VOWELS = "aeiouy";
const CONSONANTS = "bcdfghklmnprstvzx";

/** Bubble Babble (Huima 2000) of `digest`, as fingerprint_bubblebabble (ssh-keygen -B uses SHA-1 of the blob). */
export function bubbleBabble(digest: Uint8Array): string {
  const rounds = Math.floor(digest.length / 2) + 1;
  let seed = 1;
  let out = "x";
  for (let i = 0; i < rounds; i++) {
    if (i + 1 < rounds || digest.length % 2 !== 0) {
      const b0 = digest[2 * i]!;
      out += VOWELS[(((b0 >> 6) & 3) + seed) % 6]! + CONSONANTS[(b0 >> 2) & 15]! + VOWELS[((b0 & 3) + Math.floor(seed / 6)) % 6]!;
      if (i + 1 < rounds) {
        const b1 = digest[2 * i + 1]!;
        out += CONSONANTS[(b1 >> 4) & 15]! + "-" + CONSONANTS[b1 & 15]!;
        seed = (seed * 5 + (b0 * 7 + b1)) % 36;
      }
    } else {
      out += VOWELS[seed % 6]! + CONSONANTS[16]! + VOWELS[Math.floor(seed / 6)]!;
    }
  }
  return out + "x";
}

// sshkey.c: FLDBASE 8, the field is (2·8+1) × (8+1).
const FIELD_X = 17;
const FIELD_Y = 9;
const AUGMENT = " .o+=*BOX@%&#/^SE";

/**
 * The random-art box (no trailing newline), as fingerprint_randomart: a "drunken bishop" walks the field from the centre,
 * two bits of the digest per step; `label` and `bits` make the title (`[ED25519 256]`), `hashName` the footer (`[SHA256]`).
 */
export function randomArt(digest: Uint8Array, hashName: string, label: string, bits: number): string {
  const len = AUGMENT.length - 1;
  const field = new Uint8Array(FIELD_X * FIELD_Y);
  let x = FIELD_X >> 1;
  let y = FIELD_Y >> 1;
  for (const byte of digest) {
    let input = byte;
    for (let b = 0; b < 4; b++) {
      x += input & 1 ? 1 : -1;
      y += input & 2 ? 1 : -1;
      x = Math.min(Math.max(x, 0), FIELD_X - 1);
      y = Math.min(Math.max(y, 0), FIELD_Y - 1);
      if (field[x * FIELD_Y + y]! < len - 2) field[x * FIELD_Y + y]!++;
      input >>= 2;
    }
  }
  field[(FIELD_X >> 1) * FIELD_Y + (FIELD_Y >> 1)] = len - 1;
  field[x * FIELD_Y + y] = len;
  // snprintf into char[FIELD_X]: at most 16 characters; "[type bits]" falls back to "[type]" when longer than 17.
  let title = `[${label} ${bits}]`;
  if (title.length > FIELD_X) title = `[${label}]`;
  title = title.slice(0, FIELD_X - 1);
  const hash = `[${hashName}]`.slice(0, FIELD_X - 1);
  const border = (text: string): string => {
    const left = Math.floor((FIELD_X - text.length) / 2);
    return "+" + "-".repeat(left) + text + "-".repeat(FIELD_X - left - text.length) + "+";
  };
  const rows = [border(title)];
  for (let yy = 0; yy < FIELD_Y; yy++) {
    let row = "|";
    for (let xx = 0; xx < FIELD_X; xx++) row += AUGMENT[Math.min(field[xx * FIELD_Y + yy]!, len)]!;
    rows.push(row + "|");
  }
  rows.push(border(hash));
  return rows.join("\n");
}
