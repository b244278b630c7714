package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage"
)

// dumpSegment prints a segment, modelled on Druid's DumpSegment tool.
func dumpSegment(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dump-segment", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("directory", "", "segment directory, its deep-storage index.zip, or s3://BUCKET/KEY/index.zip (required)")
	mode := fs.String("dump", "rows", "what to print: rows, metadata or bitmaps")
	var columns multiFlag
	fs.Var(&columns, "column", "restrict output to this column (repeatable, or comma-separated)")
	iso := fs.Bool("time-iso8601", false, "print __time as ISO-8601 instead of epoch milliseconds")
	var s3c serveConfig
	fs.StringVar(&s3c.S3Endpoint, "s3-endpoint", env("S3_ENDPOINT", ""), "for an s3:// --directory: URL of an S3-compatible server; empty means AWS S3")
	fs.BoolVar(&s3c.S3PathStyle, "s3-path-style", envBool("S3_PATH_STYLE", false), "for an s3:// --directory: address buckets as ENDPOINT/BUCKET/KEY")
	fs.StringVar(&s3c.S3Region, "s3-region", env("S3_REGION", ""), "for an s3:// --directory: signing region; empty means AWS_REGION or the AWS profile's")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: kafka-indexer dump-segment --directory DIR [flags]\n\n"+
			"Prints a segment's rows (one JSON object a line), metadata or bitmaps, like Druid's DumpSegment\n"+
			"tool; it reads files only and needs no running daemon. An s3:// archive is downloaded with the\n"+
			"AWS default credential chain into a temporary directory first.\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprint(stderr, "\nExamples:\n  kafka-indexer dump-segment --directory var/deep-storage/.../index.zip --dump metadata\n"+
			"  kafka-indexer dump-segment --directory s3://my-bucket/druid/segments/.../index.zip --dump metadata\n")
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
	path := *dir
	if strings.HasPrefix(path, "s3://") {
		tmp, err := os.MkdirTemp("", "kafka-indexer-dump-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		if path, err = pullS3Archive(context.Background(), &s3c, *dir, tmp); err != nil {
			return err
		}
	}
	return segment.Dump(stdout, path, segment.DumpOptions{Mode: *mode, Columns: columns, TimeISO8601: *iso})
}

// pullS3Archive downloads and extracts the index.zip at uri into a directory under tmp and
// returns that directory.
func pullS3Archive(ctx context.Context, c *serveConfig, uri, tmp string) (string, error) {
	bucket, key, err := storage.ParseS3URI(uri)
	if err != nil || path.Base(key) != "index.zip" {
		return "", fmt.Errorf("--directory %q: an s3:// archive is s3://BUCKET/KEY/index.zip", uri)
	}
	s3, err := storage.NewS3(ctx, s3Options(c, bucket, "", tmp, slog.New(slog.DiscardHandler)))
	if err != nil {
		return "", err
	}
	dst := filepath.Join(tmp, "segment")
	if err := s3.Pull(ctx, storage.LoadSpec{Type: storage.S3LoadSpecType, Bucket: bucket, Key: key}, dst); err != nil {
		return "", err
	}
	return dst, nil
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
