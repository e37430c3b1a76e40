/**
 * Agent configuration: Nomad-style HCL or JSON files and flags, merged over
 * the defaults, checked, and returned as one AgentConfig (durations in ms,
 * sizes in bytes). Bad input throws ConfigError naming the file, key and problem.
 */
export { loadAgentConfig, type LoadOptions, type LoadedConfig } from './load.ts';
export { parseHcl, parseJson, parseConfigText, type RawTree } from './parse.ts';
export { decodeConfigTree } from './decode.ts';
export { parseAgentFlags, AGENT_FLAG_NAMES, type ParsedFlags } from './flags.ts';
export { localProfile, applyLocalProfile } from './profiles.ts';
export { autopilotToApi, schedulerBlockToApi, defaultApiSchedulerConfiguration } from './api-shapes.ts';
export { ConfigError } from './errors.ts';
export { parseDuration, parseDurationNs, formatDuration, formatDurationNs, DurationError } from './duration.ts';
export { parseByteSize } from './bytes.ts';
export {
  parseHostPort, parseJoinAddress, formatHostPort, isUnspecifiedAddress, NOMAD_SERF_PORT,
  type HostPort, type InterfaceTable,
} from './address.ts';
export * from './defaults.ts';
export type {
  AgentConfig, ServerConfig, AutopilotConfig, LimitsConfig, LogLevel, ApiSchedulerConfiguration, ApiAutopilotConfiguration,
} from './types.ts';
