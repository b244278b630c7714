import {
  to = kafka_supervisor_state.wikipedia
  id = "wikipedia"
}
