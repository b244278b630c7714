data "kafka_supervisors" "all" {}

output "unhealthy_supervisors" {
  value = [for s in data.kafka_supervisors.all.supervisors : s.id if !s.healthy]
}
