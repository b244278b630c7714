# Pause ingestion during a Kafka maintenance window by switching to SUSPENDED.
resource "kafka_supervisor_state" "wikipedia" {
  supervisor_id = kafka_supervisor.wikipedia.id
  state         = "RUNNING"

  timeouts {
    create = "10m"
    update = "10m"
  }
}
