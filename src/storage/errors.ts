// One error type for everything the storage layer refuses or fails at, with a code
// so callers can tell "refuse to start" (format, corrupt) from "the disk failed" (io).

export type StorageErrorCode =
  /** Data written by a newer or unknown format version: refuse rather than misread it. */
  | 'format'
  /** Stored bytes that do not decode or break an invariant (damaged disk, foreign files). */
  | 'corrupt'
  /** A caller handed the store something it must not persist (a bug upstream). */
  | 'invalid'
  /** The disk (or the test-only failWrites hook) failed a read or write. */
  | 'io'
  /** The store was closed, or a write failed and its state on disk is unknown. */
  | 'closed'
  /** Test-only crash(): the batch was dropped before it was synced. */
  | 'crashed';

export class StorageError extends Error {
  constructor(
    public readonly code: StorageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StorageError';
  }
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
