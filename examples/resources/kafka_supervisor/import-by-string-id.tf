import {
  to = kafka_supervisor.wikipedia
  id = "wikipedia"
}
