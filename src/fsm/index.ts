// The replicated state machine: scheduler and autopilot configuration, license, cluster
// ID, ACL policies/tokens/bootstrap and variables; its commands and its state.bin.

export { Fsm, type FsmOptions } from './fsm.ts';
export {
  ACL_POLICY_NAME_PATTERN,
  COMMAND_VERSION,
  RuleError,
  decodeCommand,
  encodeCommand,
  type Command,
  type CommandType,
} from './commands.ts';
export type { ApplyFailure, ApplyResult, ApplySuccess, VariableStub } from './results.ts';
export {
  SnapshotFormatError,
  type InspectResult,
  type InspectRow,
  type StateBinHeader,
} from './snapshot.ts';
export { RECORD, STATE_BIN_VERSION, recordName, type RecordName, type RecordType } from './records.ts';
export {
  autopilotFieldsFromAgent,
  defaultAutopilotFields,
  defaultSchedulerFields,
  schedulerFieldsFromAgent,
  type AgentAutopilotBlock,
} from './defaults.ts';
export { ShapeError } from './validate.ts';
export { readLicenseFields } from './shapes.ts';
export * from './types.ts';
