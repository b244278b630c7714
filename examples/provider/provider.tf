terraform {
  required_providers {
    kafka = {
      source = "kafka-indexer/kafka"
    }
  }
}

# Credentials can also come from KAFKA_INDEXER_ENDPOINT, KAFKA_INDEXER_USERNAME
# and KAFKA_INDEXER_PASSWORD.
provider "kafka" {
  endpoint    = "https://overlord.example.com:8281"
  username    = "admin"
  password    = var.druid_password
  ca_cert     = file("${path.module}/ca.pem")
  timeout     = "30s"
  max_retries = 4
}

variable "druid_password" {
  type      = string
  sensitive = true
}
