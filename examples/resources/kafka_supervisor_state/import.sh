# Import by supervisor id.
terraform import kafka_supervisor_state.wikipedia wikipedia
