// Package druidapi holds the JSON shapes of Apache Druid's HTTP API that more than one
// package of kafka-indexer speaks: the supervisor status report and its states, the
// DataSegment descriptor with its loadSpec and shardSpec, segment ids, and Druid's
// ISO-8601 time layout.
//
// Like franz-go's kmsg, which every other franz-go package (client, admin, fake broker) uses
// for Kafka's messages, it is the one definition of each shape: the server (engine/supervisor,
// engine/task, engine/query) encodes these types and the client (engine/client, and through it
// the Terraform provider) decodes them, so the two cannot drift apart. Each type names the
// Druid class it mirrors.
//
// The package is a leaf: it imports nothing of kafka-indexer, so metadata, storage and client
// may import it and stay leaves themselves.
package druidapi
