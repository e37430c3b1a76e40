// state.bin record types (Part A §10): Nomad's numbers where Nomad has the record,
// 200 and up for opraft's own.

export const RECORD = {
  Index: 2,
  ACLPolicy: 11,
  ACLToken: 12,
  SchedulerConfig: 13,
  ClusterMetadata: 14,
  Variables: 22,
  AutopilotConfig: 200,
  License: 201,
  ACLBootstrap: 202,
} as const;
export type RecordName = keyof typeof RECORD;
export type RecordType = (typeof RECORD)[RecordName];

const NAMES = new Map<number, RecordName>(
  (Object.keys(RECORD) as RecordName[]).map((name) => [RECORD[name], name]),
);

/** The record type's name, or undefined for a type this opraft does not know. */
export function recordName(type: number): RecordName | undefined {
  return NAMES.get(type);
}

/** The version this opraft writes in the state.bin header, and the only one it reads. */
export const STATE_BIN_VERSION = 1;
