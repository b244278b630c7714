# Import by supervisor id (by default the datasource name).
terraform import kafka_supervisor.wikipedia wikipedia
