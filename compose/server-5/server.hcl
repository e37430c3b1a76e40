# opraft server 5 in docker compose (mounted at /etc/opraft). Nomad's agent syntax.
name      = "server-5"
data_dir  = "/var/lib/opraft"
bind_addr = "0.0.0.0"
advertise {
  http = "172.28.0.15"
  rpc  = "172.28.0.15"
}
ports {
  http = 4646
  rpc  = 4647
}
log_level = "INFO"
log_json  = true
server {
  enabled          = true
  bootstrap_expect = 0
  server_join {
    retry_join     = ["server-1", "server-2", "server-3"]
    retry_interval = "2s"
  }
}
autopilot {
  cleanup_dead_servers      = true
  server_stabilization_time = "10s"
}
