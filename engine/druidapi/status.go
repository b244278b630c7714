package druidapi

import "encoding/json"

// ServerStatus is the answer of GET /status (Druid's StatusResource.Status) plus kafkaIndexer,
// which only kafka-indexer sends: it is how a client (the Terraform provider) tells this
// server, and the extensions it supports such as validateOnly, from a real Druid.
type ServerStatus struct {
	// Version is the server's version string.
	Version string `json:"version"`
	// KafkaIndexer is true only on kafka-indexer.
	KafkaIndexer bool `json:"kafkaIndexer"`
	// Modules lists Druid extensions; kafka-indexer sends [], and a client keeps Druid's
	// entries as they are.
	Modules []json.RawMessage `json:"modules"`
	// Memory is the process's memory in bytes, as Druid's StatusResource.Memory.
	Memory ServerMemory `json:"memory"`
}

// ServerMemory is the memory block of GET /status, Java longs in Druid. Fields are in
// alphabetical order, the order the server wrote them in when it used a map.
type ServerMemory struct {
	DirectMemory int64 `json:"directMemory"`
	FreeMemory   int64 `json:"freeMemory"`
	MaxMemory    int64 `json:"maxMemory"`
	TotalMemory  int64 `json:"totalMemory"`
	UsedMemory   int64 `json:"usedMemory"`
}
