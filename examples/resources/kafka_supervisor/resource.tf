resource "kafka_supervisor" "wikipedia" {
  spec = jsonencode({
    type = "kafka"
    spec = {
      dataSchema = {
        dataSource      = "wikipedia"
        timestampSpec   = { column = "timestamp", format = "iso" }
        dimensionsSpec  = { dimensions = ["channel", "page", { type = "long", name = "added" }] }
        granularitySpec = { segmentGranularity = "hour", queryGranularity = "none", rollup = false }
      }
      ioConfig = {
        topic              = "wikipedia"
        inputFormat        = { type = "json" }
        consumerProperties = { "bootstrap.servers" = "kafka:9092", "security.protocol" = "SASL_SSL" }
        taskCount          = 2
        taskDuration       = "PT1H"
        useEarliestOffset  = true
      }
      tuningConfig = { type = "kafka", maxRowsPerSegment = 5000000 }
    }
  })

  # Merged into ioConfig.consumerProperties when the spec is posted; never
  # part of spec.
  consumer_secrets = {
    "sasl.jaas.config" = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"druid\" password=\"${var.kafka_password}\";"
  }
}

variable "kafka_password" {
  type      = string
  sensitive = true
}

# Terraform >= 1.11: keep the secret out of state entirely.
resource "kafka_supervisor" "clicks" {
  spec = file("${path.module}/clicks-supervisor.json")

  consumer_secrets_wo = {
    "sasl.jaas.config" = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"druid\" password=\"${var.kafka_password}\";"
  }
  # Bump to push changed write-only values.
  consumer_secrets_wo_version = 1
}
