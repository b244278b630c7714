package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
)

// dumpSegment prints a segment, modelled on Druid's DumpSegment tool.
func dumpSegment(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dump-segment", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("directory", "", "segment directory, or its deep-storage index.zip (required)")
	mode := fs.String("dump", "rows", "what to print: rows, metadata or bitmaps")
	var columns multiFlag
	fs.Var(&columns, "column", "restrict output to this column (repeatable, or comma-separated)")
	iso := fs.Bool("time-iso8601", false, "print __time as ISO-8601 instead of epoch milliseconds")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: kafka-indexer dump-segment --directory DIR [flags]\n\n"+
			"Prints a segment's rows (one JSON object a line), metadata or bitmaps, like Druid's DumpSegment\n"+
			"tool; it reads files only and needs no running daemon.\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprint(stderr, "\nExample:\n  kafka-indexer dump-segment --directory var/deep-storage/.../index.zip --dump metadata\n")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return flag.ErrHelp
		}
		return err
	}
	if *dir == "" {
		fs.Usage()
		return fmt.Errorf("--directory is required")
	}
	switch *mode {
	case "rows", "metadata", "bitmaps":
	default:
		return fmt.Errorf("--dump must be rows, metadata or bitmaps, got %q", *mode)
	}
	return segment.Dump(stdout, *dir, segment.DumpOptions{Mode: *mode, Columns: columns, TimeISO8601: *iso})
}

// multiFlag collects a repeatable, comma-separable string flag.
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }

func (m *multiFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*m = append(*m, s)
		}
	}
	return nil
}
