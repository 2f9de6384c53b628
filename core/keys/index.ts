// The key library (STYLE.md §1 keys/): public and private key formats, fingerprints, certificates, known_hosts and
// authorized_keys. sshd, ssh, ssh-agent and ssh-keygen use this surface.
export { KeyFormatError, KEY_ERROR_TEXT, type KeyErrorKind } from "./errors.ts";
export { bcryptPbkdf } from "./bcrypt-pbkdf.ts";
export {
  KEY_TYPES, keyTypeRow, certTypeName, blobType, describePublicKey, keyObjectFromBlob, blobFromKeyObject, parsePublicKeyLine,
  formatPublicKeyLine, decodeBase64, parseRfc4716, formatRfc4716, isRfc4716,
  type KeyTypeRow, type PublicKeyInfo, type PublicKeyLine,
} from "./public-key.ts";
export { fingerprint, fingerprintDigest, fingerprintHashName, bubbleBabble, randomArt, type FingerprintHash } from "./fingerprint.ts";
export {
  loadPrivateKey, formatPrivateKey, generatePrivateKey, privateKeyFromKeyObject, privateKeyIsEncrypted, publicKeyFromPrivateFile,
  signWith, withComment, signatureAlgorithmsFor, privateKeyTypeSupported, KEY_FILE_CIPHERS, DEFAULT_KEY_CIPHER, DEFAULT_KDF_ROUNDS,
  type PrivateKey, type LoadedPrivateKey, type PrivateKeyFormat, type PrivateKeyWriteOptions, type GeneratableKeyType,
} from "./private-key.ts";
export {
  parseCertificate, plainKeyBlob, verifyCertificateSignature, verifyCertificateSignatureAsync, signCertificate, certificateToBeSigned, finishCertificate,
  checkCertificate, optionString,
  formatCertValidity, formatAbsoluteTime, SSH2_CERT_TYPE_USER, SSH2_CERT_TYPE_HOST, CERT_FOREVER, DEFAULT_USER_EXTENSIONS,
  type Certificate, type CertOption, type CertificateRequest,
} from "./certificate.ts";
export { matchPattern, matchPatternList, matchHostname } from "./patterns.ts";
export {
  newKrl, parseKrl, formatKrl, formatKrlDump, isKrl, krlRevokes, revokedKeysFileRevokes, krlRevokeKey, krlRevokeExplicit, krlRevokeHash, krlRevokeKeyId, krlRevokeSerialRange,
  type Krl, type KrlCertSection,
} from "./krl.ts";
export {
  signSshsig, sshsigToBeSigned, assembleSshsig, verifySshsig, verifySshsigAsync, parseSshsig, armorSshsig, dearmorSshsig, parseAllowedSigners, allowedSignerMatches, findSignerPrincipals,
  matchSignerPrincipals, type Sshsig, type SshsigHash, type AllowedSigner,
} from "./sshsig.ts";
export {
  parseKnownHosts, hostMatches, checkHostKey, hashHostname, hashedHostMatches, hostPortName, type HostKeyStatus, type HostKeyCheck,
  type KnownHosts, type KnownHostsEntry, type KnownHostsMarker, type KnownHostsSkipped,
} from "./known-hosts.ts";
export {
  parseAuthorizedKeys, parseAuthorizedKeyLine, parseAuthorizedKeyOptions, restrictionsOf, findAuthorizedKey,
  type AuthorizedKey, type AuthorizedKeyOption, type AuthorizedKeyRestrictions, type AuthorizedKeySkipped,
} from "./authorized-keys.ts";
export { mldsaEd25519Sign, mldsaEd25519Verify, signAsync, verifyAsync, MLDSA44_ED25519 } from "./mldsa.ts";
