// Signing identities from dfx PEM files (unencrypted): secp256k1 ("EC PRIVATE KEY",
// what `dfx identity new` makes) and Ed25519 ("PRIVATE KEY", PKCS#8), built on
// @noble/curves (already installed with @dfinity/agent), so the upload CLI acts as
// the same principal as dfx and is a controller of what dfx deployed.

import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { SignIdentity, wrapDER, ED25519_OID, SECP256K1_OID, type PublicKey, type Signature, type DerEncodedPublicKey } from '@dfinity/agent';
import { ed25519 } from '@noble/curves/ed25519';
import { secp256k1 } from '@noble/curves/secp256k1';
import { sha256 } from '@noble/hashes/sha256';

class DerKey implements PublicKey {
  constructor(readonly rawKey: Uint8Array, readonly derKey: DerEncodedPublicKey) {}
  toDer(): DerEncodedPublicKey {
    return this.derKey;
  }
  toRaw(): Uint8Array {
    return this.rawKey;
  }
}

export class PemIdentity extends SignIdentity {
  private constructor(
    private readonly kind: 'secp256k1' | 'ed25519',
    private readonly secret: Uint8Array,
    private readonly publicKey: DerKey,
  ) {
    super();
  }

  static fromPem(pem: string): PemIdentity {
    const der = pemBody(pem);
    if (/BEGIN EC PRIVATE KEY/.test(pem)) {
      // SEC1: 30 .. 02 01 01 04 20 <32-byte key> …
      const at = findSeq(der, [0x02, 0x01, 0x01, 0x04, 0x20]);
      if (at < 0) throw new Error('unsupported EC private key encoding');
      const secret = der.slice(at + 5, at + 37);
      const raw = secp256k1.getPublicKey(secret, false);
      return new PemIdentity('secp256k1', secret, new DerKey(raw, wrapDER(raw, SECP256K1_OID) as DerEncodedPublicKey));
    }
    if (/BEGIN PRIVATE KEY/.test(pem)) {
      // PKCS#8 Ed25519: … 06 03 2b 65 70 … 04 22 04 20 <32-byte key>
      if (findSeq(der, [0x06, 0x03, 0x2b, 0x65, 0x70]) < 0) throw new Error('only Ed25519 PKCS#8 keys are supported');
      const at = findSeq(der, [0x04, 0x22, 0x04, 0x20]);
      if (at < 0) throw new Error('unsupported Ed25519 private key encoding');
      const secret = der.slice(at + 4, at + 36);
      const raw = ed25519.getPublicKey(secret);
      return new PemIdentity('ed25519', secret, new DerKey(raw, wrapDER(raw, ED25519_OID) as DerEncodedPublicKey));
    }
    if (/ENCRYPTED/.test(pem)) throw new Error('encrypted PEM files are not supported: export an unencrypted one with `dfx identity export`');
    throw new Error('unrecognised PEM file');
  }

  getPublicKey(): PublicKey {
    return this.publicKey;
  }

  async sign(blob: Uint8Array): Promise<Signature> {
    if (this.kind === 'ed25519') return ed25519.sign(blob, this.secret) as Signature;
    return secp256k1.sign(sha256(blob), this.secret, { lowS: true }).toCompactRawBytes() as Signature;
  }
}

function pemBody(pem: string): Uint8Array {
  const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

function findSeq(b: Uint8Array, seq: number[]): number {
  outer: for (let i = 0; i + seq.length <= b.length; i++) {
    for (let j = 0; j < seq.length; j++) if (b[i + j] !== seq[j]) continue outer;
    return i;
  }
  return -1;
}

/** The PEM of dfx's current identity (~/.config/dfx/identity/<name>/identity.pem), if there is one. */
export function dfxIdentityPem(): string | undefined {
  const root = join(process.env.DFX_CONFIG_ROOT ?? homedir(), '.config', 'dfx');
  let name = 'default';
  try {
    name = (JSON.parse(readFileSync(join(root, 'identity.json'), 'utf8')) as { default?: string }).default ?? 'default';
  } catch {
    // no identity.json: dfx's default identity
  }
  const path = join(root, 'identity', name, 'identity.pem');
  return existsSync(path) ? path : undefined;
}

/** Reads the Ed25519 PEM at `path`, or makes one there (PKCS#8, mode 0600, what `dfx identity new --storage-mode plaintext` writes). */
export function loadOrCreatePemIdentity(path: string): PemIdentity {
  if (!existsSync(path)) {
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, pem, { mode: 0o600 });
  }
  return PemIdentity.fromPem(readFileSync(path, 'utf8'));
}
