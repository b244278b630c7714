// Package druidapi holds the JSON shapes of Apache Druid's HTTP API that more than one
// package of kafka-indexer speaks: the supervisor status report, status list and health
// bodies, the process status (GET /status), the DataSegment descriptor with its loadSpec and
// shardSpec, segment ids, and Druid's ISO-8601 time layout.
//
// Like franz-go's kmsg, which every other franz-go package (client, admin, fake broker) uses
// for Kafka's messages, it is the one definition of each shape. The server (engine/api,
// engine/supervisor) encodes the reports and the client (engine/client, and through it the
// Terraform provider) decodes the same types, so the two cannot drift apart; a task writes the
// DataSegment that the query loader and the CLI read back. Each type names the Druid class it
// mirrors.
//
// The package is a leaf: it imports nothing of kafka-indexer, so metadata, storage and client
// may import it and stay leaves themselves.
package druidapi
