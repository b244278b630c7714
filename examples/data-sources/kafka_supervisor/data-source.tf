data "kafka_supervisor" "wikipedia" {
  id = "wikipedia"
}

output "wikipedia_task_count" {
  value = jsondecode(data.kafka_supervisor.wikipedia.spec).ioConfig.taskCount
}
