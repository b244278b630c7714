# Ten supervisors from one base spec: each gets its own datasource and topic, one of them more
# tasks. Requires Terraform 1.8 or later (provider-defined functions).
terraform {
  required_version = ">= 1.8"
  required_providers {
    kafka = {
      source = "kafka-indexer/kafka"
    }
  }
}

variable "kafka_bootstrap" {
  type    = string
  default = "127.0.0.1:9092"
}

locals {
  topics = toset([for i in range(10) : format("clicks-%02d", i)])

  # The template every supervisor starts from: a JSON string (jsonencode or file("base.json")).
  base = jsonencode({
    type = "kafka"
    spec = {
      dataSchema = {
        dataSource      = "template"
        timestampSpec   = { column = "ts", format = "iso" }
        dimensionsSpec  = { dimensions = ["user", "page"] }
        granularitySpec = { segmentGranularity = "hour", queryGranularity = "none", rollup = false }
      }
      ioConfig = {
        topic              = "template"
        inputFormat        = { type = "json" }
        consumerProperties = { "bootstrap.servers" = var.kafka_bootstrap }
        taskCount          = 1
        taskDuration       = "PT1H"
        useEarliestOffset  = true
      }
      tuningConfig = { type = "kafka" }
    }
  })
}

resource "kafka_supervisor" "clicks" {
  for_each = local.topics

  # Objects merge key by key, arrays and scalars replace, null deletes a key. The overrides may
  # leave out the "spec" wrapper: dataSchema, ioConfig and tuningConfig land where base has them.
  spec = provider::kafka::merge_spec(local.base, {
    dataSchema = { dataSource = each.key }
    ioConfig = merge(
      { topic = each.key },
      each.key == "clicks-00" ? { taskCount = 2 } : {},
    )
  })
}

output "supervisor_ids" {
  value = sort([for s in kafka_supervisor.clicks : s.id])
}
