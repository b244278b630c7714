// Package embedkafka runs an embedded Kafka-protocol broker (franz-go's kfake) for the
// quickstart and for `kafka-indexer serve --embedded-kafka`: one broker, its log on disk under a
// data directory (so a restart keeps every topic, offset and record), topics created on first
// use, and time-based retention so a long-running demo does not grow without bound.
//
// It is a development broker: no replication, no security, loopback by default.
package embedkafka

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Retention is how long records stay in the embedded broker's log (Kafka's retention.ms) for
// the topics Start creates. Segments roll at SegmentBytes so that retention can drop old ones.
const (
	Retention    = 6 * time.Hour
	SegmentBytes = 16 << 20
	// retentionCheck is how often expired log segments are deleted (log.cleaner.backoff.ms).
	retentionCheck = time.Minute
)

// Broker is a running embedded broker.
type Broker struct {
	cluster *kfake.Cluster
	addr    string
	once    sync.Once
}

// Start starts a broker listening on addr (host:port; port 0 picks a free one) with its log
// under dataDir (created if missing; empty keeps everything in memory), and makes sure each
// topic of topics exists with the given number of partitions (an existing topic is left as it
// is). Producing to any other topic creates it with one partition.
func Start(addr, dataDir string, topics map[string]int32) (*Broker, error) {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("embedded kafka address %q: %w", addr, err)
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		// kfake listens on 127.0.0.1:<port>; listen on exactly the address asked for instead.
		kfake.ListenFn(func(network, _ string) (net.Listener, error) { return net.Listen(network, addr) }),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(1),
		kfake.BrokerConfigs(map[string]string{
			"log.cleaner.backoff.ms": strconv.FormatInt(retentionCheck.Milliseconds(), 10),
		}),
	}
	if dataDir != "" {
		if err := os.MkdirAll(dataDir, 0o755); err != nil {
			return nil, fmt.Errorf("create embedded kafka data directory: %w", err)
		}
		opts = append(opts, kfake.DataDir(dataDir))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("start embedded kafka on %s: %w", addr, err)
	}
	b := &Broker{cluster: c}
	if addrs := c.ListenAddrs(); len(addrs) > 0 {
		b.addr = addrs[0]
	}
	for topic, partitions := range topics {
		if err := b.CreateTopic(topic, partitions); err != nil {
			b.Close()
			return nil, err
		}
	}
	return b, nil
}

// CreateTopic creates topic with the given number of partitions and the broker's retention,
// unless it exists already.
func (b *Broker) CreateTopic(topic string, partitions int32) error {
	if b.cluster.TopicInfo(topic) != nil {
		return nil
	}
	err := b.cluster.CreateTopic(topic, partitions, map[string]string{
		"retention.ms":  strconv.FormatInt(Retention.Milliseconds(), 10),
		"segment.bytes": strconv.Itoa(SegmentBytes),
	})
	if err != nil && b.cluster.TopicInfo(topic) == nil {
		return fmt.Errorf("create topic %q: %w", topic, err)
	}
	return nil
}

// Partitions is the number of partitions of topic, 0 when it does not exist.
func (b *Broker) Partitions(topic string) int {
	return len(b.cluster.PartitionInfos(topic))
}

// HighWatermarks is the end offset of each partition of topic (nil when it does not exist):
// the number of records ever written to it.
func (b *Broker) HighWatermarks(topic string) map[int32]int64 {
	infos := b.cluster.PartitionInfos(topic)
	if infos == nil {
		return nil
	}
	hw := make(map[int32]int64, len(infos))
	for _, pi := range infos {
		hw[pi.Partition] = pi.HighWatermark
	}
	return hw
}

// Addr is the host:port clients bootstrap from.
func (b *Broker) Addr() string { return b.addr }

// Close stops the broker and flushes its log to disk. It is safe to call more than once.
func (b *Broker) Close() error {
	if b == nil {
		return errors.New("embedkafka: nil broker")
	}
	b.once.Do(b.cluster.Close)
	return nil
}
