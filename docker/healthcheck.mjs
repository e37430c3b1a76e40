// The image's healthcheck: GET /v1/agent/health on this server (Nomad's shape); healthy only when
// it answers 200, i.e. the server knows a leader. OPRAFT_HEALTH_ADDR overrides the address.
const addr = process.env.OPRAFT_HEALTH_ADDR ?? 'http://127.0.0.1:4646';
try {
  const res = await fetch(`${addr}/v1/agent/health?type=server`, { signal: AbortSignal.timeout(2500) });
  const body = await res.text();
  if (res.status !== 200) {
    console.error(`unhealthy: ${res.status} ${body}`);
    process.exit(1);
  }
  console.log(body);
} catch (e) {
  console.error(`unhealthy: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
