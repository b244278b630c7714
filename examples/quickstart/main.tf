# Manage the quickstart's supervisor with Terraform. Start `kafka-indexer quickstart` first;
# `make install-provider` puts the provider where `terraform init` finds it (see README.md).
terraform {
  required_version = ">= 1.5" # import blocks
  required_providers {
    kafka = {
      source = "kafka-indexer/kafka"
    }
  }
}

variable "endpoint" {
  description = "kafka-indexer's API (quickstart --listen)."
  type        = string
  default     = "http://127.0.0.1:8090"
}

variable "kafka_bootstrap" {
  description = "The broker the supervisor reads from (quickstart --kafka)."
  type        = string
  default     = "127.0.0.1:9092"
}

provider "kafka" {
  endpoint = var.endpoint
}

# The quickstart submitted the supervisor already: adopt it rather than create it.
import {
  to = kafka_supervisor.metrics
  id = "metrics-kafka"
}

import {
  to = kafka_supervisor_state.metrics
  id = "metrics-kafka"
}

locals {
  # supervisor.json is exactly the spec `kafka-indexer quickstart` submits (a test keeps the
  # two equal), so the first plan adopts it with no change.
  spec = jsondecode(file("${path.module}/supervisor.json"))
}

resource "kafka_supervisor" "metrics" {
  spec = jsonencode(merge(local.spec, {
    ioConfig = merge(local.spec.ioConfig, {
      consumerProperties = { "bootstrap.servers" = var.kafka_bootstrap }
    })
  }))
}

# Switch to "SUSPENDED" to pause ingestion, back to "RUNNING" to resume it.
resource "kafka_supervisor_state" "metrics" {
  supervisor_id = kafka_supervisor.metrics.id
  state         = "RUNNING"
}

output "supervisor_id" {
  value = kafka_supervisor.metrics.id
}
