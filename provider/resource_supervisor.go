package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/provider/internal/diagnostics"
	"github.com/kafka-indexer/terraform-provider-kafka/provider/internal/planmodifiers"
	"github.com/kafka-indexer/terraform-provider-kafka/provider/internal/specjson"
	"github.com/kafka-indexer/terraform-provider-kafka/provider/internal/validators"
)

var (
	_ resource.Resource                = (*supervisorResource)(nil)
	_ resource.ResourceWithConfigure   = (*supervisorResource)(nil)
	_ resource.ResourceWithImportState = (*supervisorResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*supervisorResource)(nil)
)

// privateKeyWriteOnlyKeys holds the names (never the values) of the
// consumer properties set through consumer_secrets_wo, so Read can redact
// them from the spec it stores after an import.
const privateKeyWriteOnlyKeys = "consumer_secrets_wo_keys"

// dryRunTimeout bounds the plan-time validation call, so an unreachable
// endpoint delays a plan by seconds, not by the full retry budget.
const dryRunTimeout = 10 * time.Second

// NewSupervisorResource returns the kafka_supervisor resource.
func NewSupervisorResource() resource.Resource { return &supervisorResource{} }

type supervisorResource struct {
	client *client.Client
}

func (r *supervisorResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_supervisor"
}

func (r *supervisorResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A Kafka ingestion supervisor: its spec is POSTed to `/druid/indexer/v1/supervisor` " +
			"and read back from `/druid/indexer/v1/supervisor/{id}`.\n\n" +
			"`spec` is compared semantically with the server's echo: only keys the configuration declares are " +
			"compared, defaults the server adds are ignored, and Druid's rewrites (durations, aliases, dimension " +
			"shorthand, granularity case, the `spec` wrapper) are not differences. Whether the supervisor runs is " +
			"owned by `kafka_supervisor_state`; updating the spec keeps the live `suspended` flag. Destroying " +
			"the resource terminates the supervisor. The spec as the server echoes it, with every default, is the " +
			"`spec` of the `kafka_supervisor` data source.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Supervisor id: the spec's top-level `id` (Druid ≥ 34) or else `dataSchema.dataSource`.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"data_source": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The datasource the supervisor ingests into (`dataSchema.dataSource`).",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"spec": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Supervisor spec as JSON (use `jsonencode()` or `file()`): Druid's " +
					"`KafkaSupervisorSpec`, either `{\"type\":\"kafka\",\"spec\":{\"dataSchema\":…,\"ioConfig\":…,\"tuningConfig\":…}}` " +
					"or with the three sections at the top level. Must not contain `suspended` (see `kafka_supervisor_state`). " +
					"Changing the supervisor id (`id` or `dataSchema.dataSource`) replaces the resource.",
				Validators:    []validator.String{validators.SupervisorSpec()},
				PlanModifiers: []planmodifier.String{planmodifiers.SpecEquivalent()},
			},
			"consumer_secrets": schema.MapAttribute{
				Optional:    true,
				Sensitive:   true,
				ElementType: types.StringType,
				MarkdownDescription: "Kafka consumer properties merged into `ioConfig.consumerProperties` when the spec " +
					"is posted, e.g. `sasl.jaas.config`. Kept out of `spec`; stored in state as a " +
					"sensitive value. A changed value on the server shows as drift.",
			},
			"consumer_secrets_wo": schema.MapAttribute{
				Optional:    true,
				WriteOnly:   true,
				ElementType: types.StringType,
				MarkdownDescription: "Write-only variant of `consumer_secrets` (Terraform ≥ 1.11): merged into " +
					"`ioConfig.consumerProperties` on every create and update, never stored in state or plan. " +
					"Change `consumer_secrets_wo_version` to push new values.",
			},
			"create_suspended": schema.BoolAttribute{
				Optional: true,
				MarkdownDescription: "Create the supervisor suspended (`\"suspended\": true` in the first POST), so it " +
					"never starts a task. Pair it with a `kafka_supervisor_state` of `SUSPENDED` created in the same " +
					"apply; without one the supervisor stays suspended until resumed. Only read at create: changing " +
					"it later does nothing (the live flag is owned by `kafka_supervisor_state`).",
			},
			"offline_validation": schema.BoolAttribute{
				Optional: true,
				MarkdownDescription: "Whether `terraform plan` checks the spec with kafka-indexer's own spec rules when the " +
					"server cannot dry-run it (Apache Druid, or an endpoint unreachable at plan time). Default `true`. " +
					"Set `false` for a spec that uses fields of a newer Druid which kafka-indexer does not know; the " +
					"server still validates it at apply.",
			},
			"consumer_secrets_wo_version": schema.Int64Attribute{
				Optional: true,
				MarkdownDescription: "Any number; changing it re-posts the spec so new `consumer_secrets_wo` values " +
					"reach `ioConfig.consumerProperties`.",
			},
		},
	}
}

func (r *supervisorResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.client = configuredClient(req.ProviderData, &resp.Diagnostics)
}

// ModifyPlan derives id and data_source from the planned spec, replaces the
// resource when the supervisor id changes, and asks kafka-indexer to dry-run
// a new or changed spec so that `terraform plan` fails with the engine's
// message and warns what an update does to the running tasks. Real Druid
// would store a dry-run spec, so there the spec is checked offline with the
// engine's own rules (engine/spec) instead.
func (r *supervisorResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var plan supervisorModelV0
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || plan.Spec.IsUnknown() || plan.Spec.IsNull() {
		return
	}
	d, err := specjson.Normalize(plan.Spec.ValueString())
	if err != nil {
		return // reported by the spec validator
	}
	var state *supervisorModelV0
	if !req.State.Raw.IsNull() {
		state = &supervisorModelV0{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
	}
	id := specjson.ID(d)
	if state != nil && state.ID.ValueString() != "" && state.ID.ValueString() != id {
		resp.RequiresReplace = append(resp.RequiresReplace, path.Root("spec"))
	}
	if _, explicit := d["id"]; !explicit {
		// Without an explicit id every Druid version uses the datasource,
		// so the id is known at plan time.
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("id"), id)...)
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("data_source"), specjson.DataSource(d))...)
	if state != nil && plan.Spec.Equal(state.Spec) && plan.ConsumerSecrets.Equal(state.ConsumerSecrets) &&
		plan.ConsumerSecretsWOVersion.Equal(state.ConsumerSecretsWOVersion) {
		return
	}
	var cfg supervisorModelV0
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() || cfg.Spec.IsUnknown() {
		return
	}
	secrets, _ := mergeSecrets(ctx, plan.ConsumerSecrets, cfg.ConsumerSecretsWO)
	known := mapKnown(plan.ConsumerSecrets) && mapKnown(cfg.ConsumerSecretsWO)
	body, err := specjson.Prepare(cfg.Spec.ValueString(), secrets, false)
	if err != nil {
		return
	}
	if r.client == nil {
		r.validateOffline(ctx, cfg, plan, secrets, known, resp)
		return
	}
	vctx, cancel := context.WithTimeout(ctx, dryRunTimeout)
	defer cancel()
	answer, err := r.client.DryRunSupervisor(vctx, body)
	switch {
	case err == nil:
		if state != nil {
			addImpactWarning(&resp.Diagnostics, state.ID.ValueString(), answer)
		}
	case errors.Is(err, client.ErrBadRequest) && !known && strings.HasPrefix(diagnostics.EngineMessage(err), "ioConfig.consumerProperties"):
		// Consumer secrets not known yet may supply what the engine misses;
		// check the rest with a placeholder for them.
		tflog.Info(ctx, "consumer secrets unknown at plan time; validating the rest of the spec offline", map[string]any{"reason": err.Error()})
		r.validateOffline(ctx, cfg, plan, secrets, known, resp)
	case errors.Is(err, client.ErrBadRequest):
		resp.Diagnostics.AddAttributeError(path.Root("spec"), "Invalid Supervisor Spec",
			"The engine rejected the spec in a dry run (nothing was created). Fix the field it names and plan again."+
				"\n\nEngine message: "+diagnostics.EngineMessage(err))
	default:
		// Real Druid, an unreachable endpoint, or no permission: check the
		// spec with the engine's rules here; the server validates at apply.
		tflog.Info(ctx, "no plan-time dry run; validating the supervisor spec offline", map[string]any{"reason": err.Error()})
		if !r.validateOffline(ctx, cfg, plan, secrets, known, resp) {
			return
		}
		if state != nil && len(resp.RequiresReplace) == 0 && errors.Is(err, client.ErrDryRunUnsupported) {
			// A resource-level warning: attached to the spec attribute, the CLI would print the
			// whole jsonencode expression under it.
			resp.Diagnostics.AddWarning("Supervisor Update Hands Off Every Task Group",
				fmt.Sprintf("Updating supervisor %q hands off every task group: Apache Druid stops every reading task "+
					"group on any spec update, the tasks publish what they have read, and new tasks start from their end offsets.",
					state.ID.ValueString()))
		}
	}
}

// validateOffline checks the spec with kafka-indexer's own spec rules
// (engine/spec), for servers that cannot dry-run it, and reports whether it
// passed. Unknown consumer secrets get a placeholder bootstrap.servers, and
// problems with consumerProperties are then left to apply.
func (r *supervisorResource) validateOffline(ctx context.Context, cfg, plan supervisorModelV0, secrets map[string]string, known bool, resp *resource.ModifyPlanResponse) bool {
	if !plan.OfflineValidation.IsNull() && !plan.OfflineValidation.IsUnknown() && !plan.OfflineValidation.ValueBool() {
		return true
	}
	if !known {
		if _, ok := secrets["bootstrap.servers"]; !ok {
			secrets["bootstrap.servers"] = validators.PlaceholderBootstrapServers
		}
	}
	body, err := specjson.Prepare(cfg.Spec.ValueString(), secrets, false)
	if err != nil {
		return true
	}
	if err := validators.EngineRules(body, known); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("spec"), "Invalid Supervisor Spec",
			"The spec breaks kafka-indexer's spec rules, checked offline because the server does not dry-run specs "+
				"(nothing was sent). Fix the field it names and plan again.\n\nError: "+err.Error())
		return false
	}
	tflog.Debug(ctx, "supervisor spec passed offline validation", map[string]any{"id": plan.ID.ValueString()})
	return true
}

// impactSummaries titles the plan warning for each dry-run impact; "none"
// and a new supervisor get no warning.
var impactSummaries = map[string]string{
	"keepTasks":     "Supervisor Update Keeps Running Tasks",
	"handoff":       "Supervisor Update Hands Off Every Task Group",
	"resetRequired": "Supervisor Update Requires An Offset Reset",
}

// addImpactWarning turns the engine's dry-run impact for an update into a
// plan warning naming the fields that cause it.
func addImpactWarning(diags *diag.Diagnostics, id string, a *druidapi.ValidateAnswer) {
	summary, ok := impactSummaries[a.Impact]
	if !ok {
		return
	}
	changed := strings.Join(a.ImpactFields, ", ") + " changed"
	var detail string
	switch a.Impact {
	case "keepTasks":
		detail = fmt.Sprintf("Updating supervisor %q keeps its running tasks: %s, which only the supervisor reads. "+
			"The supervisor restarts and adopts its tasks.", id, changed)
	case "handoff":
		detail = fmt.Sprintf("Updating supervisor %q hands off every task group: %s. Every reading task publishes "+
			"what it has read and new tasks start from its end offsets.", id, changed)
	case "resetRequired":
		detail = fmt.Sprintf("Updating supervisor %q hands off every task group and needs an offset reset: %s; %s.",
			id, changed, a.ImpactReason)
	}
	// Resource-level, like the Druid warning above: the CLI prints one source line for it,
	// not the whole spec expression.
	diags.AddWarning(summary, detail)
}

// mapKnown reports whether m and all its elements are known (null counts as
// known: no secrets).
func mapKnown(m types.Map) bool {
	if m.IsUnknown() {
		return false
	}
	for _, v := range m.Elements() {
		if v.IsUnknown() {
			return false
		}
	}
	return true
}

func (r *supervisorResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan, cfg supervisorModelV0
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	d, err := specjson.Normalize(cfg.Spec.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("spec"), "Create Supervisor Error", "The spec is not a JSON object: "+err.Error())
		return
	}
	id := specjson.ID(d)
	// Refuse to take over a supervisor that Terraform did not create: a
	// POST would silently replace its spec.
	_, err = r.client.GetSupervisor(ctx, id)
	switch {
	case err == nil:
		resp.Diagnostics.AddError("Create Supervisor Error", fmt.Sprintf(
			"A supervisor with id %q already exists. To manage it with Terraform, import it: "+
				"terraform import <resource address> %s", id, id))
		return
	case !errors.Is(err, client.ErrNotFound):
		resp.Diagnostics.Append(diagnostics.Engine("Create Supervisor Error",
			fmt.Sprintf("Could not check whether supervisor %q exists. Check the endpoint and credentials, then apply again.", id), err))
		return
	}
	secrets, woKeys := mergeSecrets(ctx, plan.ConsumerSecrets, cfg.ConsumerSecretsWO)
	// Druid creates a spec POSTed with "suspended": true suspended: no task
	// is ever started (a suspend after a RUNNING create would start some).
	body, err := specjson.Prepare(cfg.Spec.ValueString(), secrets, plan.CreateSuspended.ValueBool())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("spec"), "Create Supervisor Error", err.Error())
		return
	}
	gotID, err := r.client.CreateOrUpdateSupervisor(ctx, body)
	if err != nil {
		resp.Diagnostics.Append(diagnostics.Engine("Create Supervisor Error",
			"The engine did not accept the supervisor spec. Fix the spec and apply again.", err))
		return
	}
	plan.ID = types.StringValue(gotID)
	resp.Diagnostics.Append(r.readEffective(ctx, &plan, woKeys)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(setWriteOnlyKeys(ctx, resp.Private, woKeys)...)
}

func (r *supervisorResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state supervisorModelV0
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	raw, err := r.client.GetSupervisor(ctx, state.ID.ValueString())
	if errors.Is(err, client.ErrNotFound) {
		tflog.Warn(ctx, "supervisor no longer exists; removing it from state", map[string]any{"id": state.ID.ValueString()})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.Append(diagnostics.Engine("Read Supervisor Error",
			fmt.Sprintf("Could not read supervisor %q. Check the endpoint and credentials, then refresh again.", state.ID.ValueString()), err))
		return
	}
	woKeys, diags := getWriteOnlyKeys(ctx, req.Private)
	resp.Diagnostics.Append(diags...)
	keys := secretKeys(ctx, state.ConsumerSecrets, woKeys)

	server, err := specjson.Normalize(string(raw))
	if err != nil {
		resp.Diagnostics.AddError("Read Supervisor Error", "The engine returned a spec that is not a JSON object: "+err.Error())
		return
	}
	redacted := specjson.Redact(clone(server), keys).(map[string]any)
	state.DataSource = types.StringValue(specjson.DataSource(server))

	shaped, diags := req.Private.GetKey(ctx, planmodifiers.PrivateKeyServerShaped)
	resp.Diagnostics.Append(diags...)
	prior := state.Spec.ValueString()
	if state.Spec.IsNull() || prior == "" || string(shaped) == "true" {
		// After import: no user spec to compare with, so state holds the
		// server's spec as a configuration would write it (non-default keys
		// only) and the plan modifier compares declared keys only.
		if s, err := specjson.Marshal(specjson.ConfigForm(redacted)); err == nil && s != prior {
			state.Spec = types.StringValue(s)
		}
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, planmodifiers.PrivateKeyServerShaped, []byte("true"))...)
	} else if p, err := specjson.Normalize(prior); err == nil && !specjson.Contains(p, server) {
		// Drift: show the server's values through the user's keys.
		s, _ := specjson.Marshal(specjson.Project(p, server))
		state.Spec = types.StringValue(s)
	}

	if !state.ConsumerSecrets.IsNull() && !state.ConsumerSecrets.IsUnknown() {
		var cur map[string]string
		resp.Diagnostics.Append(state.ConsumerSecrets.ElementsAs(ctx, &cur, false)...)
		live := specjson.ConsumerProperties(server)
		next := map[string]string{}
		for k := range cur {
			if v, ok := live[k]; ok {
				next[k] = v
			}
		}
		m, diags := types.MapValueFrom(ctx, types.StringType, next)
		resp.Diagnostics.Append(diags...)
		state.ConsumerSecrets = m
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *supervisorResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, cfg, state supervisorModelV0
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if plan.Spec.Equal(state.Spec) && plan.ConsumerSecrets.Equal(state.ConsumerSecrets) &&
		plan.ConsumerSecretsWOVersion.Equal(state.ConsumerSecretsWOVersion) {
		// Only create_suspended changed, which matters at create alone:
		// posting the same spec again would restart the supervisor.
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	id := state.ID.ValueString()
	// Posting a spec without "suspended": true resumes a suspended
	// supervisor, so carry over the live flag (owned by kafka_supervisor_state).
	suspended := false
	cur, err := r.client.GetSupervisor(ctx, id)
	switch {
	case err == nil:
		suspended = specjson.Suspended(string(cur))
	case !errors.Is(err, client.ErrNotFound):
		resp.Diagnostics.Append(diagnostics.Engine("Update Supervisor Error",
			fmt.Sprintf("Could not read the current state of supervisor %q. Check the endpoint and credentials, then apply again.", id), err))
		return
	}
	secrets, woKeys := mergeSecrets(ctx, plan.ConsumerSecrets, cfg.ConsumerSecretsWO)
	// Post what the configuration says; the plan may hold an equivalent
	// prior value in another shape (e.g. the server's echo after import).
	body, err := specjson.Prepare(cfg.Spec.ValueString(), secrets, suspended)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("spec"), "Update Supervisor Error", err.Error())
		return
	}
	gotID, err := r.client.CreateOrUpdateSupervisor(ctx, body)
	if err != nil {
		resp.Diagnostics.Append(diagnostics.Engine("Update Supervisor Error",
			"The engine did not accept the supervisor spec; the running supervisor is unchanged. Fix the spec and apply again.", err))
		return
	}
	plan.ID = types.StringValue(gotID)
	resp.Diagnostics.Append(r.readEffective(ctx, &plan, woKeys)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	if plan.Spec.Equal(cfg.Spec) {
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, planmodifiers.PrivateKeyServerShaped, nil)...)
	}
	resp.Diagnostics.Append(setWriteOnlyKeys(ctx, resp.Private, woKeys)...)
}

func (r *supervisorResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state supervisorModelV0
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	err := r.client.Terminate(ctx, state.ID.ValueString())
	if err != nil && !errors.Is(err, client.ErrNotFound) {
		resp.Diagnostics.Append(diagnostics.Engine("Delete Supervisor Error",
			fmt.Sprintf("Could not terminate supervisor %q. Check the endpoint and credentials, then destroy again.", state.ID.ValueString()), err))
	}
}

// ImportState takes the supervisor id. The first Read stores the server's
// spec; a configuration that declares a subset of it plans no change.
func (r *supervisorResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if req.ID == "" {
		resp.Diagnostics.AddError("Import Supervisor Error",
			"Expected the supervisor id (by default the datasource name), e.g. terraform import kafka_supervisor.example wikipedia")
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, planmodifiers.PrivateKeyServerShaped, []byte("true"))...)
}

// readEffective reads the supervisor back after a POST and fills
// data_source from the server's echo. (The full echo is the kafka_supervisor
// data source's spec; the resource does not keep it, see Schema.)
func (r *supervisorResource) readEffective(ctx context.Context, m *supervisorModelV0, _ []string) diag.Diagnostics {
	var diags diag.Diagnostics
	raw, err := r.client.GetSupervisor(ctx, m.ID.ValueString())
	if err != nil {
		diags.Append(diagnostics.Engine("Read Supervisor Error",
			fmt.Sprintf("The spec was accepted but supervisor %q could not be read back. Run terraform refresh.", m.ID.ValueString()), err))
		return diags
	}
	if d, err := specjson.Normalize(string(raw)); err == nil {
		m.DataSource = types.StringValue(specjson.DataSource(d))
	}
	return diags
}

// mergeSecrets merges the known entries of the sensitive and write-only maps
// (write-only wins) and returns the write-only key names.
func mergeSecrets(ctx context.Context, sensitive, writeOnly types.Map) (map[string]string, []string) {
	out := map[string]string{}
	if !sensitive.IsNull() && !sensitive.IsUnknown() {
		_ = sensitive.ElementsAs(ctx, &out, false)
	}
	var woKeys []string
	if !writeOnly.IsNull() && !writeOnly.IsUnknown() {
		wo := map[string]string{}
		_ = writeOnly.ElementsAs(ctx, &wo, false)
		for k, v := range wo {
			out[k] = v
			woKeys = append(woKeys, k)
		}
	}
	sort.Strings(woKeys)
	return out, woKeys
}

func secretKeys(ctx context.Context, sensitive types.Map, woKeys []string) map[string]bool {
	keys := map[string]bool{}
	for _, k := range woKeys {
		keys[k] = true
	}
	if !sensitive.IsNull() && !sensitive.IsUnknown() {
		m := map[string]string{}
		_ = sensitive.ElementsAs(ctx, &m, false)
		for k := range m {
			keys[k] = true
		}
	}
	return keys
}

type privateGetter interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
}

type privateSetter interface {
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

func getWriteOnlyKeys(ctx context.Context, p privateGetter) ([]string, diag.Diagnostics) {
	b, diags := p.GetKey(ctx, privateKeyWriteOnlyKeys)
	var keys []string
	if len(b) > 0 {
		_ = json.Unmarshal(b, &keys)
	}
	return keys, diags
}

func setWriteOnlyKeys(ctx context.Context, p privateSetter, keys []string) diag.Diagnostics {
	if len(keys) == 0 {
		return p.SetKey(ctx, privateKeyWriteOnlyKeys, nil)
	}
	b, _ := json.Marshal(keys)
	return p.SetKey(ctx, privateKeyWriteOnlyKeys, b)
}

// redactedJSON re-encodes the server's echo with credentials removed from
// ioConfig.consumerProperties (both copies).
func redactedJSON(raw []byte, keys map[string]bool) (string, error) {
	v, err := specjson.Parse(string(raw))
	if err != nil {
		return "", err
	}
	return specjson.Marshal(specjson.Redact(v, keys))
}

func clone(d map[string]any) any {
	s, _ := specjson.Marshal(d)
	v, _ := specjson.Parse(s)
	return v
}

type supervisorModelV0 struct {
	ID                       types.String `tfsdk:"id"`
	DataSource               types.String `tfsdk:"data_source"`
	Spec                     types.String `tfsdk:"spec"`
	ConsumerSecrets          types.Map    `tfsdk:"consumer_secrets"`
	ConsumerSecretsWO        types.Map    `tfsdk:"consumer_secrets_wo"`
	ConsumerSecretsWOVersion types.Int64  `tfsdk:"consumer_secrets_wo_version"`
	CreateSuspended          types.Bool   `tfsdk:"create_suspended"`
	OfflineValidation        types.Bool   `tfsdk:"offline_validation"`
}
