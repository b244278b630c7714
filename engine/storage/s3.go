package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/uuid"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage/indexzip"
)

// S3 loadSpec constants, as Druid's S3DataSegmentPusher.makeLoadSpec writes them.
const (
	S3LoadSpecType = "s3_zip"
	s3Schema       = "s3n" // Druid writes s3a only with druid.storage.useS3aSchema
)

// S3 defaults.
const (
	// DefaultS3PartSize is the multipart threshold and part size: Druid's
	// druid.storage.transfer.multipartUploadThreshold and minimumUploadPartSize (20 MiB).
	DefaultS3PartSize = 20 << 20
	// DefaultS3Region is the signing region when neither S3Options.Region nor the AWS
	// configuration (AWS_REGION, the profile) names one. S3-compatible servers mostly ignore it.
	DefaultS3Region = "us-east-1"
	// DefaultS3MaxAttempts bounds the tries of one S3 request (Druid's S3Utils.retryS3Operation).
	DefaultS3MaxAttempts = 6
	// DefaultS3RetryBackoff is the wait after the first failed try; it doubles up to
	// maxS3RetryBackoff, so the default attempts span about 30 s of outage.
	DefaultS3RetryBackoff = time.Second
	maxS3RetryBackoff     = 10 * time.Second
)

// S3Options configures S3 deep storage (Druid's druid.storage.type=s3 with druid.storage.bucket,
// druid.storage.baseKey and druid.s3.*).
type S3Options struct {
	// Bucket holds the segments (druid.storage.bucket); required.
	Bucket string
	// Prefix is the key prefix (druid.storage.baseKey), without leading or trailing slashes;
	// empty puts segments at the top of the bucket.
	Prefix string
	// Region is the signing region; empty means the AWS configuration's (AWS_REGION, the
	// profile), else DefaultS3Region.
	Region string
	// Endpoint is the URL of an S3-compatible server (druid.s3.endpoint.url); empty means AWS.
	Endpoint string
	// PathStyle addresses buckets as ENDPOINT/BUCKET/KEY instead of BUCKET.ENDPOINT/KEY
	// (druid.s3.enablePathStyleAccess); most S3-compatible servers need it.
	PathStyle bool
	// Credentials overrides the default credential chain (environment, shared profile, web
	// identity, container and instance metadata); nil means that chain.
	Credentials aws.CredentialsProvider
	// PartSize is the archive size from which a push is a multipart upload, and the size of its
	// parts; zero means DefaultS3PartSize. AWS refuses parts under 5 MiB (but the last), so
	// smaller values are for tests against S3-compatible servers.
	PartSize int64
	// MaxAttempts bounds the tries of each S3 request; zero means DefaultS3MaxAttempts.
	MaxAttempts int
	// RetryBackoff is the first wait between tries; zero means DefaultS3RetryBackoff.
	RetryBackoff time.Duration
	// TempDir holds archives being uploaded or downloaded; empty means os.TempDir().
	TempDir string
	// Logger receives retried failures; nil means slog.Default().
	Logger *slog.Logger
}

func (o *S3Options) validate() error {
	if o.Bucket == "" {
		return errors.New("storage: s3: no bucket")
	}
	o.Prefix = strings.Trim(o.Prefix, "/")
	if o.PartSize <= 0 {
		o.PartSize = DefaultS3PartSize
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultS3MaxAttempts
	}
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = DefaultS3RetryBackoff
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return nil
}

// S3 is deep storage in an S3 bucket or on an S3-compatible server: Druid's
// S3DataSegmentPusher, S3DataSegmentPuller and S3DataSegmentKiller. Keys are
// PREFIX/<dataSource>/<start>_<end>/<version>/<partition>/<uuid>/index.zip: the random
// element is Druid's useUniquePath, which streaming tasks push with, so a retried or
// replicated push never overwrites an archive another attempt may have published.
type S3 struct {
	client *s3.Client
	opts   S3Options
}

// NewS3 builds an S3 client from the AWS configuration (environment, shared config files) and
// opts. It makes no request: a wrong bucket or credential shows on the first push or pull.
func NewS3(ctx context.Context, opts S3Options) (*S3, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	lopts := []func(*config.LoadOptions) error{
		// One retry policy, S3.retry's: the SDK's own retryer would multiply its attempts by ours.
		config.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }),
	}
	if opts.Region != "" {
		lopts = append(lopts, config.WithRegion(opts.Region))
	}
	if opts.Credentials != nil {
		lopts = append(lopts, config.WithCredentialsProvider(opts.Credentials))
	}
	cfg, err := config.LoadDefaultConfig(ctx, lopts...)
	if err != nil {
		return nil, fmt.Errorf("storage: s3: load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = DefaultS3Region
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(opts.Endpoint)
		}
		o.UsePathStyle = opts.PathStyle
		// Checksums only where S3 requires them: S3-compatible servers differ in their support
		// of the newer trailing-checksum uploads, and every part is signed anyway.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	return &S3{client: client, opts: opts}, nil
}

// Bucket is the bucket pushes go to.
func (s *S3) Bucket() string { return s.opts.Bucket }

// ParseS3URI splits s3://BUCKET/KEY into the bucket and the key (without a leading slash; it
// may be empty). It is how --deep-storage names a bucket and prefix and how dump-segment names
// an archive.
func ParseS3URI(uri string) (bucket, key string, err error) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "s3" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", "", fmt.Errorf("storage: %q is not an s3://BUCKET/KEY URI", uri)
	}
	return u.Host, strings.TrimPrefix(u.Path, "/"), nil
}

// segmentKey is Druid's S3Utils.constructSegmentPath: baseKey + "/" + storageDir + "/index.zip",
// with no leading slash when baseKey is empty.
func (s *S3) segmentKey(id SegmentKey) (string, error) {
	rel, err := relDir(id)
	if err != nil {
		return "", err
	}
	return path.Join(s.opts.Prefix, filepath.ToSlash(rel), uuid.NewString(), archiveName), nil
}

// Push archives segmentDir into a temporary file, then uploads it under a fresh key with one
// PutObject, or as a multipart upload from PartSize on. S3 shows an object only once PutObject
// or CompleteMultipartUpload succeeds, so the key never holds a partial archive; a failed
// multipart upload is aborted so its parts are not kept (and billed).
func (s *S3) Push(ctx context.Context, segmentDir string, id SegmentKey) (LoadSpec, int64, error) {
	if err := ctx.Err(); err != nil {
		return LoadSpec{}, 0, err
	}
	key, err := s.segmentKey(id)
	if err != nil {
		return LoadSpec{}, 0, err
	}
	f, err := os.CreateTemp(s.opts.TempDir, archiveName+".tmp-*")
	if err != nil {
		return LoadSpec{}, 0, fmt.Errorf("storage: push %s: %w", id, err)
	}
	defer func() {
		f.Close()
		os.Remove(f.Name())
	}()
	size, err := indexzip.Write(f, segmentDir)
	if err != nil {
		return LoadSpec{}, 0, fmt.Errorf("storage: push %s: %w", id, err)
	}
	if size < s.opts.PartSize {
		err = s.retry(ctx, "put s3://"+s.opts.Bucket+"/"+key, func(ctx context.Context) error {
			_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String(s.opts.Bucket), Key: aws.String(key),
				Body: io.NewSectionReader(f, 0, size), ContentLength: aws.Int64(size),
				ContentType: aws.String("application/zip"),
			})
			return err
		})
	} else {
		err = s.multipart(ctx, f, size, key)
	}
	if err != nil {
		return LoadSpec{}, 0, fmt.Errorf("storage: push %s: %w", id, err)
	}
	return LoadSpec{Type: S3LoadSpecType, Bucket: s.opts.Bucket, Key: key, S3Schema: s3Schema}, size, nil
}

// multipart uploads the size bytes of f as key in PartSize parts, each retried on its own.
func (s *S3) multipart(ctx context.Context, f *os.File, size int64, key string) (err error) {
	where := "s3://" + s.opts.Bucket + "/" + key
	var uploadID *string
	err = s.retry(ctx, "create multipart upload "+where, func(ctx context.Context) error {
		out, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
			Bucket: aws.String(s.opts.Bucket), Key: aws.String(key), ContentType: aws.String("application/zip"),
		})
		if err == nil {
			uploadID = out.UploadId
		}
		return err
	})
	if err != nil {
		return err
	}
	defer func() {
		if err == nil {
			return
		}
		// Abort even when ctx ended, so the parts do not outlive the push; bounded, since the
		// server may be what failed.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if _, aerr := s.client.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{
			Bucket: aws.String(s.opts.Bucket), Key: aws.String(key), UploadId: uploadID,
		}); aerr != nil {
			s.opts.Logger.Warn("abort multipart upload failed; a bucket lifecycle rule for incomplete uploads removes its parts",
				"key", where, "uploadId", aws.ToString(uploadID), "err", aerr)
		}
	}()
	var parts []types.CompletedPart
	for off, n := int64(0), int32(1); off < size; off, n = off+s.opts.PartSize, n+1 {
		length := min(s.opts.PartSize, size-off)
		err := s.retry(ctx, fmt.Sprintf("upload part %d of %s", n, where), func(ctx context.Context) error {
			out, err := s.client.UploadPart(ctx, &s3.UploadPartInput{
				Bucket: aws.String(s.opts.Bucket), Key: aws.String(key), UploadId: uploadID,
				PartNumber: aws.Int32(n), Body: io.NewSectionReader(f, off, length), ContentLength: aws.Int64(length),
			})
			if err == nil {
				parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(n)})
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	return s.retry(ctx, "complete multipart upload "+where, func(ctx context.Context) error {
		_, err := s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
			Bucket: aws.String(s.opts.Bucket), Key: aws.String(key), UploadId: uploadID,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		})
		var nsu *types.NoSuchUpload
		if errors.As(err, &nsu) && s.exists(ctx, key, size) {
			// An earlier try completed the upload but its answer was lost.
			return nil
		}
		return err
	})
}

// exists reports whether key holds an object of size bytes.
func (s *S3) exists(ctx context.Context, key string, size int64) bool {
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.opts.Bucket), Key: aws.String(key)})
	return err == nil && aws.ToInt64(out.ContentLength) == size
}

// Pull downloads the s3_zip archive named by spec (from spec's bucket, which need not be the
// one pushes go to) and extracts it into dstDir, retrying the whole download as Druid's
// S3DataSegmentPuller does; a failed try leaves no dstDir behind.
func (s *S3) Pull(ctx context.Context, spec LoadSpec, dstDir string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if spec.Type != S3LoadSpecType {
		return fmt.Errorf("storage: pull %q: %w", spec.Type, ErrUnsupportedLoadSpec)
	}
	if spec.Bucket == "" || spec.Key == "" {
		return fmt.Errorf("storage: pull: s3_zip loadSpec without bucket or key")
	}
	where := "s3://" + spec.Bucket + "/" + spec.Key
	err := s.retry(ctx, "get "+where, func(ctx context.Context) error {
		if err := os.RemoveAll(dstDir); err != nil {
			return err
		}
		return s.download(ctx, spec.Bucket, spec.Key, dstDir)
	})
	if err != nil {
		os.RemoveAll(dstDir)
		return fmt.Errorf("storage: pull %s: %w", where, err)
	}
	return nil
}

func (s *S3) download(ctx context.Context, bucket, key, dstDir string) error {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return err
	}
	defer out.Body.Close()
	f, err := os.CreateTemp(s.opts.TempDir, archiveName+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		f.Close()
		os.Remove(f.Name())
	}()
	if _, err := io.Copy(f, out.Body); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return indexzip.Extract(f.Name(), dstDir)
}

// Kill deletes the archive named by spec (S3DataSegmentKiller). It refuses a loadSpec outside
// this storage's bucket and prefix: loadSpecs are read back from the metadata store, and a row
// pointing elsewhere must not delete another object.
func (s *S3) Kill(ctx context.Context, spec LoadSpec) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if spec.Type != S3LoadSpecType {
		return fmt.Errorf("storage: kill %q: %w", spec.Type, ErrUnsupportedLoadSpec)
	}
	where := "s3://" + spec.Bucket + "/" + spec.Key
	if spec.Bucket != s.opts.Bucket || path.Base(spec.Key) != archiveName || !strings.HasPrefix(spec.Key, s.keyPrefix()) ||
		path.Clean(spec.Key) != spec.Key {
		return fmt.Errorf("storage: kill %s: not an %s under s3://%s/%s", where, archiveName, s.opts.Bucket, s.opts.Prefix)
	}
	err := s.retry(ctx, "delete "+where, func(ctx context.Context) error {
		_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(spec.Bucket), Key: aws.String(spec.Key)})
		return err
	})
	if err != nil {
		return fmt.Errorf("storage: kill %s: %w", where, err)
	}
	return nil
}

// keyPrefix is what every key this storage pushes starts with.
func (s *S3) keyPrefix() string {
	if s.opts.Prefix == "" {
		return ""
	}
	return s.opts.Prefix + "/"
}

// retry runs op until it succeeds, fails for good, or MaxAttempts tries are spent, waiting
// RetryBackoff (doubling) between tries.
func (s *S3) retry(ctx context.Context, what string, op func(context.Context) error) error {
	wait := s.opts.RetryBackoff
	for attempt := 1; ; attempt++ {
		err := op(ctx)
		if err == nil {
			return nil
		}
		if attempt >= s.opts.MaxAttempts || !retryableS3(ctx, err) {
			return fmt.Errorf("%s (try %d of %d): %w", what, attempt, s.opts.MaxAttempts, err)
		}
		s.opts.Logger.Warn("s3 request failed, retrying", "op", what, "try", attempt, "wait", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%s: %w (after: %w)", what, ctx.Err(), err)
		case <-t.C:
		}
		wait = min(2*wait, maxS3RetryBackoff)
	}
}

// retryableS3 decides whether a failed S3 request is worth another try: the SDK's own
// classification (5xx answers, throttling, timeouts, refused or reset connections), never once
// ctx has ended, and never for answers that will not change (403, 404, a corrupt archive).
func retryableS3(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, indexzip.ErrCorrupt) {
		return false
	}
	return retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary
}
