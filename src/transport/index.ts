// The transport folder's door: node-to-node frames over WebSockets (or in memory, for tests).
export type {
  Frame,
  FrameHandler,
  FrameKind,
  HandshakeRejectReason,
  InboundRejectReason,
  Logger,
  NodeId,
  PeerIdentity,
  PeerLinkStats,
  RaftFrame,
  RequestHandler,
  SendDropReason,
  Transport,
  TransportStats,
  UnreachableHandler,
} from './types.ts';
export { WsTransport } from './ws-transport.ts';
export {
  DEFAULT_MAX_CONNS_PER_CLIENT,
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_RPC_PORT,
  type WsTransportOptions,
} from './options.ts';
export { MemoryNetwork, MemoryTransport, type MemoryNetworkOptions, type MemoryTransportOptions } from './memory.ts';
export { raftLink } from './raft-link.ts';
export { RequestError, type RequestErrorCode } from './rpc.ts';
export { CodecError, decodeFrame, encodeFrame, PROTOCOL_VERSION } from './codec.ts';
export { parseEncryptKey } from './handshake.ts';
export { parseAddress, type HostPort } from './address.ts';
export { validateMessage } from './validate.ts';
export { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.ts';
