// Go encoding/json semantics for the operator bodies (contract §0.1): keys match case-insensitively,
// unknown keys are ignored, missing or null values are Go's zero values, wrong JSON types are errors.
import { field } from './body.ts';

export class DecodeError extends Error {}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : typeof v;
}

export function objectAt(v: unknown, path: string): Record<string, unknown> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new DecodeError(`json: cannot unmarshal ${typeName(v)} into Go value of type ${path}`);
  return v as Record<string, unknown>;
}

export function bool(o: Record<string, unknown> | undefined, key: string, goType: string): boolean {
  const v = o ? field(o, key) : undefined;
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new DecodeError(`json: cannot unmarshal ${typeName(v)} into Go struct field ${goType}.${key} of type bool`);
  return v;
}

export function uint(o: Record<string, unknown> | undefined, key: string, goType: string, kind = 'uint64'): number {
  const v = o ? field(o, key) : undefined;
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new DecodeError(`json: cannot unmarshal ${typeof v === 'number' ? `number ${v}` : typeName(v)} into Go struct field ${goType}.${key} of type ${kind}`);
  }
  return v;
}

export function str(o: Record<string, unknown> | undefined, key: string, goType: string): string {
  const v = o ? field(o, key) : undefined;
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new DecodeError(`json: cannot unmarshal ${typeName(v)} into Go struct field ${goType}.${key} of type string`);
  return v;
}
