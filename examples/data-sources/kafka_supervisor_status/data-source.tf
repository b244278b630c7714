data "kafka_supervisor_status" "wikipedia" {
  id = "wikipedia"
}

output "wikipedia_lag" {
  value = data.kafka_supervisor_status.wikipedia.aggregate_lag
}
