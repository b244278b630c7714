package input

// Record is one Kafka record as the reader hands it to the parser.
type Record struct {
	Key       []byte
	Value     []byte
	Timestamp int64 // milliseconds since the epoch (CreateTime or LogAppendTime)
	Topic     string
	Headers   []Header
	Partition int32
	Offset    int64
}

// Header is one Kafka record header.
type Header struct {
	Key   string
	Value []byte
}
