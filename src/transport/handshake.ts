// The connection handshake (Part A §2 of the API contract). Pure logic: no sockets here.
//
//   dialer   → {t:'hello',   v, cluster, node, auth, nonce}
//   acceptor → {t:'welcome', cluster, node[, nonce, mac]}      or closes with a reason
//   dialer   → {t:'proof',   mac}                             only when an encrypt key is set
//
// Cluster ids: '' means "never joined" and is compatible with anything; two non-empty ids must match.
// Encrypt key: both sides prove they hold it by an HMAC-SHA256 over the whole exchange (both node
// ids, both cluster ids, both fresh 32-byte nonces) and their role, so a proof cannot be replayed on
// another connection or reflected back. The key authenticates the handshake only: frames travel in
// the clear, as Nomad's RPC does without TLS.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { PROTOCOL_VERSION } from './codec.ts';
import type { HandshakeRejectReason, NodeId } from './types.ts';
import { checkNodeId, isPlainObject } from './validate.ts';

export const NONCE_BYTES = 32;
export const ENCRYPT_KEY_BYTES = 32;
const MAX_CLUSTER_ID_LENGTH = 128;

export interface Hello {
  t: 'hello';
  v: number;
  cluster: string;
  node: NodeId;
  /** The dialer holds an encrypt key and will prove it. */
  auth: boolean;
  nonce: Uint8Array;
}

export interface Welcome {
  t: 'welcome';
  cluster: string;
  node: NodeId;
  /** Present when the acceptor holds an encrypt key. */
  nonce?: Uint8Array;
  mac?: Uint8Array;
}

export interface Proof {
  t: 'proof';
  mac: Uint8Array;
}

/** This node's side of a handshake. */
export interface LocalIdentity {
  node: NodeId;
  cluster: string;
  key?: Buffer;
}

export type Refusal = { reason: HandshakeRejectReason; error: string };

/** Parses the `encrypt` setting: base64 of exactly 32 bytes. Throws an Error naming the problem. */
export function parseEncryptKey(encoded: string): Buffer {
  if (typeof encoded !== 'string' || encoded.trim() === '') throw new Error('encrypt: the key must be a non-empty base64 string');
  const text = encoded.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) throw new Error('encrypt: the key is not valid base64');
  const key = Buffer.from(text, 'base64');
  if (key.length !== ENCRYPT_KEY_BYTES) {
    throw new Error(`encrypt: the key must be ${ENCRYPT_KEY_BYTES} bytes, base64-encoded (got ${key.length} bytes)`);
  }
  return key;
}

export function clustersConflict(a: string, b: string): boolean {
  return a !== '' && b !== '' && a !== b;
}

function lengthPrefixed(parts: (string | Uint8Array)[]): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const b = typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    chunks.push(len, b);
  }
  return Buffer.concat(chunks);
}

/** The MAC one side sends: over the whole exchange and the sender's role. */
export function handshakeMac(key: Buffer, role: 'dialer' | 'acceptor', hello: Hello, acceptor: { node: NodeId; cluster: string; nonce: Uint8Array }): Buffer {
  const transcript = lengthPrefixed([
    `opraft-handshake-v${PROTOCOL_VERSION}`,
    role,
    hello.node,
    hello.cluster,
    hello.nonce,
    acceptor.node,
    acceptor.cluster,
    acceptor.nonce,
  ]);
  return createHmac('sha256', key).update(transcript).digest();
}

function macMatches(expected: Buffer, got: unknown): boolean {
  return got instanceof Uint8Array && got.length === expected.length && timingSafeEqual(expected, got);
}

function checkClusterId(v: unknown, field: string): string | undefined {
  if (typeof v !== 'string') return `${field} must be a string`;
  if (v.length > MAX_CLUSTER_ID_LENGTH) return `${field} is longer than ${MAX_CLUSTER_ID_LENGTH} characters`;
  return undefined;
}

function checkNonce(v: unknown, field: string): string | undefined {
  return v instanceof Uint8Array && v.length === NONCE_BYTES ? undefined : `${field} must be ${NONCE_BYTES} bytes`;
}

/**
 * A short description of a value off the wire, for an error text. (JSON.stringify threw on the
 * bigint a uint64 decodes to, so a hello with `v: 2^64-5` escaped the refusal, and it copied an
 * 8 MiB string whole into the log line.)
 */
function show(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return JSON.stringify(v.length > 32 ? `${v.slice(0, 32)}…` : v);
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (typeof v === 'object' && v !== null) return Array.isArray(v) ? 'an array' : 'an object';
  return String(v);
}

// ------------------------------------------------------------------ dialer side

export function makeHello(local: LocalIdentity): Hello {
  return { t: 'hello', v: PROTOCOL_VERSION, cluster: local.cluster, node: local.node, auth: local.key !== undefined, nonce: randomBytes(NONCE_BYTES) };
}

/**
 * The dialer checks the acceptor's answer. `expected` is the node id we meant to reach (undefined
 * when identifying an unknown address). On success returns the proof to send, if any.
 */
export function checkWelcome(
  value: unknown,
  hello: Hello,
  local: LocalIdentity,
  expected: NodeId | undefined,
): { welcome: Welcome; proof?: Proof } | Refusal {
  if (!isPlainObject(value) || value.t !== 'welcome') return { reason: 'malformed', error: 'expected a welcome frame' };
  const e = checkNodeId(value.node, 'welcome.node') ?? checkClusterId(value.cluster, 'welcome.cluster');
  if (e) return { reason: 'malformed', error: e };
  const welcome = value as unknown as Welcome;
  if (welcome.node === local.node) return { reason: 'identity', error: `the peer has our own node id ${local.node}` };
  if (expected !== undefined && welcome.node !== expected) {
    return { reason: 'identity', error: `expected node ${expected} at this address, found ${welcome.node}` };
  }
  if (clustersConflict(local.cluster, welcome.cluster)) {
    return { reason: 'cluster', error: `the peer is in cluster ${welcome.cluster}, this node in ${local.cluster}` };
  }
  if (!local.key) {
    if (welcome.mac !== undefined) return { reason: 'encrypt', error: 'the peer uses an encrypt key and this node has none' };
    return { welcome };
  }
  if (welcome.mac === undefined) return { reason: 'encrypt', error: 'this node uses an encrypt key and the peer has none' };
  const ne = checkNonce(welcome.nonce, 'welcome.nonce');
  if (ne) return { reason: 'malformed', error: ne };
  const acceptor = { node: welcome.node, cluster: welcome.cluster, nonce: welcome.nonce! };
  if (!macMatches(handshakeMac(local.key, 'acceptor', hello, acceptor), welcome.mac)) {
    return { reason: 'encrypt', error: 'the peer does not hold our encrypt key (wrong proof)' };
  }
  return { welcome, proof: { t: 'proof', mac: handshakeMac(local.key, 'dialer', hello, acceptor) } };
}

// ------------------------------------------------------------------ acceptor side

/**
 * The acceptor checks a hello. On success returns the welcome to send and, when a key is set,
 * the proof it then expects from the dialer.
 */
export function acceptHello(value: unknown, local: LocalIdentity): { hello: Hello; welcome: Welcome; expectedProof?: Buffer } | Refusal {
  if (!isPlainObject(value) || value.t !== 'hello') return { reason: 'malformed', error: 'the first frame must be a hello' };
  if (value.v !== PROTOCOL_VERSION) {
    return { reason: 'version', error: `protocol version ${show(value.v)} is not supported (this node speaks ${PROTOCOL_VERSION})` };
  }
  const e =
    checkNodeId(value.node, 'hello.node') ??
    checkClusterId(value.cluster, 'hello.cluster') ??
    (typeof value.auth === 'boolean' ? undefined : 'hello.auth must be a boolean') ??
    checkNonce(value.nonce, 'hello.nonce');
  if (e) return { reason: 'malformed', error: e };
  const hello = value as unknown as Hello;
  if (hello.node === local.node) return { reason: 'identity', error: `the dialer claims our own node id ${local.node}` };
  if (clustersConflict(local.cluster, hello.cluster)) {
    return { reason: 'cluster', error: `the dialer is in cluster ${hello.cluster}, this node in ${local.cluster}` };
  }
  if (local.key && !hello.auth) return { reason: 'encrypt', error: 'this node requires the encrypt key and the dialer has none' };
  if (!local.key && hello.auth) return { reason: 'encrypt', error: 'the dialer uses an encrypt key and this node has none' };
  if (!local.key) return { hello, welcome: { t: 'welcome', cluster: local.cluster, node: local.node } };
  const acceptor = { node: local.node, cluster: local.cluster, nonce: randomBytes(NONCE_BYTES) };
  return {
    hello,
    welcome: { t: 'welcome', ...acceptor, mac: handshakeMac(local.key, 'acceptor', hello, acceptor) },
    expectedProof: handshakeMac(local.key, 'dialer', hello, acceptor),
  };
}

/** The acceptor checks the dialer's proof. */
export function checkProof(value: unknown, expected: Buffer): Refusal | undefined {
  if (!isPlainObject(value) || value.t !== 'proof') return { reason: 'malformed', error: 'expected a proof frame' };
  if (!macMatches(expected, value.mac)) return { reason: 'encrypt', error: 'the dialer does not hold our encrypt key (wrong proof)' };
  return undefined;
}

// ------------------------------------------------------------------ refusals

/**
 * Sent by the side that refuses a handshake, just before it closes, so the other side can log
 * why (with both cluster ids) instead of seeing a bare close.
 */
export interface Refuse {
  t: 'refuse';
  reason: HandshakeRejectReason;
  error: string;
  node: NodeId;
  cluster: string;
}

const REFUSAL_REASONS: ReadonlySet<string> = new Set(['malformed', 'version', 'cluster', 'encrypt', 'identity', 'timeout']);
const MAX_REFUSAL_TEXT = 512;

export function makeRefuse(local: LocalIdentity, refusal: Refusal): Refuse {
  return { t: 'refuse', reason: refusal.reason, error: refusal.error.slice(0, MAX_REFUSAL_TEXT), node: local.node, cluster: local.cluster };
}

/** A well-formed refuse frame, or undefined. */
export function parseRefuse(value: unknown): Refuse | undefined {
  if (!isPlainObject(value) || value.t !== 'refuse') return undefined;
  if (typeof value.reason !== 'string' || !REFUSAL_REASONS.has(value.reason)) return undefined;
  if (typeof value.error !== 'string' || value.error.length > MAX_REFUSAL_TEXT) return undefined;
  if (checkNodeId(value.node, 'refuse.node', true) || checkClusterId(value.cluster, 'refuse.cluster')) return undefined;
  return value as unknown as Refuse;
}

/** Checks a cluster id given to the transport (setClusterId / options). Throws naming the problem. */
export function checkLocalClusterId(id: unknown): string {
  const e = checkClusterId(id, 'cluster id');
  if (e) throw new Error(e);
  return id as string;
}
