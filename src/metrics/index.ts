// Metrics: Nomad's names, go-metrics JSON and Prometheus text.
export { Metrics, prometheusName, type GoMetricsJson } from './registry.ts';
export { NOMAD_METRICS } from './names.ts';
