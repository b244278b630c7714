// Package provider implements the Terraform provider "kafka" for
// kafka-indexer and Apache Druid's Kafka supervisors.
package provider

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
	"github.com/kafka-indexer/terraform-provider-kafka/provider/internal/diagnostics"
)

var (
	_ provider.Provider              = (*kafkaProvider)(nil)
	_ provider.ProviderWithFunctions = (*kafkaProvider)(nil)
)

// Environment variables read when the corresponding attribute is not set.
// They deliberately do not use Mongey/kafka's KAFKA_* names.
const (
	EnvEndpoint = "KAFKA_INDEXER_ENDPOINT"
	EnvUsername = "KAFKA_INDEXER_USERNAME"
	EnvPassword = "KAFKA_INDEXER_PASSWORD"

	defaultEndpoint = "http://127.0.0.1:8090"
)

// New returns a factory for the provider with DefaultOptions; version is set
// by ldflags at release ("dev" otherwise, "test" in acceptance tests).
func New(version string) func() provider.Provider {
	return NewWithOptions(version, DefaultOptions())
}

// NewWithOptions is New with options (tests shorten the waits).
func NewWithOptions(version string, opts Options) func() provider.Provider {
	opts.validate()
	return func() provider.Provider { return &kafkaProvider{version: version, opts: opts} }
}

// Options tune how the provider waits. They are not provider attributes:
// the defaults suit every Overlord, and only tests need shorter waits.
type Options struct {
	// StatePollInterval is how often kafka_supervisor_state polls the status
	// report while waiting for a suspend or resume to take effect. Zero (or
	// negative) means 2 s.
	StatePollInterval time.Duration
}

// DefaultOptions returns the options the zero Options stand for.
func DefaultOptions() Options {
	o := Options{}
	o.validate()
	return o
}

// validate fills zero values.
func (o *Options) validate() {
	if o.StatePollInterval <= 0 {
		o.StatePollInterval = 2 * time.Second
	}
}

type kafkaProvider struct {
	version string
	opts    Options
}

type providerModelV0 struct {
	Endpoint           types.String `tfsdk:"endpoint"`
	Username           types.String `tfsdk:"username"`
	Password           types.String `tfsdk:"password"`
	Headers            types.Map    `tfsdk:"headers"`
	InsecureSkipVerify types.Bool   `tfsdk:"insecure_skip_verify"`
	CACert             types.String `tfsdk:"ca_cert"`
	Timeout            types.String `tfsdk:"timeout"`
	MaxRetries         types.Int64  `tfsdk:"max_retries"`
}

func (p *kafkaProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "kafka"
	resp.Version = p.version
}

func (p *kafkaProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manages Kafka ingestion supervisors of [kafka-indexer](https://github.com/kafka-indexer) " +
			"and Apache Druid through the Overlord's supervisor API (`/druid/indexer/v1/supervisor`).",
		Attributes: map[string]schema.Attribute{
			"endpoint": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Base URL of the Overlord or Router, e.g. `http://127.0.0.1:8090`. " +
					"Falls back to `" + EnvEndpoint + "`, then `" + defaultEndpoint + "`.",
			},
			"username": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "User for HTTP basic authentication (Druid's basic security extension). " +
					"Falls back to `" + EnvUsername + "`.",
			},
			"password": schema.StringAttribute{
				Optional:            true,
				Sensitive:           true,
				MarkdownDescription: "Password for HTTP basic authentication. Falls back to `" + EnvPassword + "`.",
			},
			"headers": schema.MapAttribute{
				Optional:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Extra HTTP headers sent with every request, e.g. a bearer token for a proxy.",
			},
			"insecure_skip_verify": schema.BoolAttribute{
				Optional:            true,
				MarkdownDescription: "Skip verification of the server's TLS certificate. Default `false`.",
			},
			"ca_cert": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "PEM-encoded CA certificate(s) trusted in addition to the system pool when verifying the server.",
			},
			"timeout": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Timeout of each HTTP request, in seconds (`\"30\"`) or as a Go duration " +
					"(`\"1m30s\"`). Default `60s`.",
			},
			"max_retries": schema.Int64Attribute{
				Optional: true,
				MarkdownDescription: "How many times a request is retried after a connection error, 429 or 5xx " +
					"(never after 4xx). Default `4`.",
			},
		},
	}
}

func (p *kafkaProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModelV0
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	unknown := map[string]bool{
		"endpoint": cfg.Endpoint.IsUnknown(), "username": cfg.Username.IsUnknown(), "password": cfg.Password.IsUnknown(),
		"headers": cfg.Headers.IsUnknown(), "insecure_skip_verify": cfg.InsecureSkipVerify.IsUnknown(),
		"ca_cert": cfg.CACert.IsUnknown(), "timeout": cfg.Timeout.IsUnknown(), "max_retries": cfg.MaxRetries.IsUnknown(),
	}
	for _, name := range []string{"endpoint", "username", "password", "headers", "insecure_skip_verify", "ca_cert", "timeout", "max_retries"} {
		if unknown[name] {
			resp.Diagnostics.AddAttributeError(path.Root(name), "Unknown Provider Configuration Value",
				fmt.Sprintf("The provider cannot create the API client because %q is unknown until apply. "+
					"Set it to a static value, use the environment variable instead, or apply the resources it depends on first (-target).", name))
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}

	endpoint := firstNonEmpty(cfg.Endpoint.ValueString(), os.Getenv(EnvEndpoint), defaultEndpoint)
	username := firstNonEmpty(cfg.Username.ValueString(), os.Getenv(EnvUsername))
	password := firstNonEmpty(cfg.Password.ValueString(), os.Getenv(EnvPassword))

	opts := []client.Opt{
		client.WithUserAgent("terraform-provider-kafka/" + p.version),
		client.WithLogger(func(ctx context.Context, msg string, fields map[string]any) { tflog.Debug(ctx, msg, fields) }),
	}
	if username != "" || password != "" {
		opts = append(opts, client.WithBasicAuth(username, password))
	}
	if !cfg.Headers.IsNull() {
		h := map[string]string{}
		resp.Diagnostics.Append(cfg.Headers.ElementsAs(ctx, &h, false)...)
		opts = append(opts, client.WithHeaders(h))
	}
	if cfg.InsecureSkipVerify.ValueBool() {
		opts = append(opts, client.WithInsecureSkipVerify(true))
	}
	if s := cfg.CACert.ValueString(); s != "" {
		opts = append(opts, client.WithCACert([]byte(s)))
	}
	if s := cfg.Timeout.ValueString(); s != "" {
		d, err := parseTimeout(s)
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("timeout"), "Invalid Timeout",
				"Set timeout to a number of seconds (\"30\") or a duration (\"1m30s\"). "+err.Error())
		}
		opts = append(opts, client.WithTimeout(d))
	}
	if !cfg.MaxRetries.IsNull() {
		if n := cfg.MaxRetries.ValueInt64(); n < 0 || n > 100 {
			resp.Diagnostics.AddAttributeError(path.Root("max_retries"), "Invalid Max Retries",
				fmt.Sprintf("Set max_retries between 0 and 100, got %d.", n))
		}
		opts = append(opts, client.WithMaxRetries(int(cfg.MaxRetries.ValueInt64())))
	}
	if resp.Diagnostics.HasError() {
		return
	}
	c, err := client.New(endpoint, opts...)
	if err != nil {
		resp.Diagnostics.AddError("Create API Client Error",
			"Check the provider's endpoint, ca_cert and credentials.\n\nError: "+err.Error())
		return
	}
	tflog.Debug(ctx, "configured kafka-indexer client", map[string]any{"endpoint": endpoint, "basic_auth": username != ""})
	resp.ResourceData = c
	resp.DataSourceData = c
}

func (p *kafkaProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewSupervisorResource,
		func() resource.Resource { return newSupervisorStateResource(p.opts) },
	}
}

func (p *kafkaProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewSupervisorDataSource,
		NewSupervisorsDataSource,
		NewSupervisorStatusDataSource,
	}
}

func (p *kafkaProvider) Functions(context.Context) []func() function.Function {
	return []func() function.Function{
		NewMergeSpecFunction,
	}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// parseTimeout accepts whole or fractional seconds ("30", "2.5") or a Go
// duration ("1m30s").
func parseTimeout(s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f < 0 {
			return 0, fmt.Errorf("timeout %q is negative", s)
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("parse timeout %q: %w", s, err)
	}
	if d < 0 {
		return 0, fmt.Errorf("timeout %q is negative", s)
	}
	return d, nil
}

// configuredClient returns the client the provider's Configure put in
// providerData. nil data (validation before configuration) yields nil.
func configuredClient(providerData any, diags interface{ Append(...diag.Diagnostic) }) *client.Client {
	if providerData == nil {
		return nil
	}
	c, ok := providerData.(*client.Client)
	if !ok {
		diags.Append(diagnostics.UnexpectedConfigureType(providerData))
		return nil
	}
	return c
}
