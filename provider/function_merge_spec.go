package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/kafka-indexer/terraform-provider-kafka/provider/internal/specmerge"
)

var _ function.Function = (*mergeSpecFunction)(nil)

// NewMergeSpecFunction returns provider::kafka::merge_spec (Terraform ≥ 1.8).
func NewMergeSpecFunction() function.Function { return &mergeSpecFunction{} }

type mergeSpecFunction struct{}

func (f *mergeSpecFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "merge_spec"
}

func (f *mergeSpecFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "Deep-merge overrides into a base supervisor spec",
		MarkdownDescription: "Returns the JSON of `base` with `overrides` merged in, for stamping out many supervisors " +
			"from one template. The rules are JSON Merge Patch (RFC 7396): objects merge key by key, at any depth; " +
			"a `null` in `overrides` deletes the key; strings, numbers, booleans and arrays in `overrides` replace " +
			"base's value whole (arrays are never concatenated). The result keeps base's shape: sections " +
			"(`dataSchema`, `ioConfig`, `tuningConfig`) that `overrides` gives at the top merge into base's " +
			"`spec` wrapper, and the other way round. Either argument may be a JSON string (`jsonencode(...)`, " +
			"`file(\"base.json\")`) or an object written in HCL; the result is a JSON string for " +
			"`kafka_supervisor.spec`.",
		Parameters: []function.Parameter{
			function.DynamicParameter{
				Name:                "base",
				MarkdownDescription: "The template spec: a JSON object as a string, or an HCL object.",
			},
			function.DynamicParameter{
				Name:           "overrides",
				AllowNullValue: true,
				MarkdownDescription: "What to change: a JSON object as a string, or an HCL object. " +
					"`null` changes nothing.",
			},
		},
		Return: function.StringReturn{},
	}
}

func (f *mergeSpecFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var base, overrides types.Dynamic
	resp.Error = req.Arguments.Get(ctx, &base, &overrides)
	if resp.Error != nil {
		return
	}
	b, err := dynamicJSON(ctx, base)
	if err != nil {
		resp.Error = function.NewArgumentFuncError(0, "base: "+err.Error())
		return
	}
	o := any(map[string]any{})
	if !overrides.IsNull() && !overrides.IsUnderlyingValueNull() {
		if o, err = dynamicJSON(ctx, overrides); err != nil {
			resp.Error = function.NewArgumentFuncError(1, "overrides: "+err.Error())
			return
		}
	}
	merged, err := specmerge.Merge(b, o)
	if err != nil {
		arg := int64(0)
		if _, ok := b.(map[string]any); ok {
			arg = 1
		}
		resp.Error = function.NewArgumentFuncError(arg, err.Error())
		return
	}
	out, err := json.Marshal(merged)
	if err != nil {
		resp.Error = function.NewFuncError("encode the merged spec: " + err.Error())
		return
	}
	resp.Error = resp.Result.Set(ctx, types.StringValue(string(out)))
}

// dynamicJSON turns a function argument into decoded JSON: a string is parsed as JSON (what
// jsonencode and file produce), any other value (an HCL object, map, list...) is converted.
func dynamicJSON(ctx context.Context, d types.Dynamic) (any, error) {
	v, err := d.UnderlyingValue().ToTerraformValue(ctx)
	if err != nil {
		return nil, err
	}
	if v.Type().Is(tftypes.String) && v.IsKnown() && !v.IsNull() {
		var s string
		if err := v.As(&s); err != nil {
			return nil, err
		}
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		var out any
		if err := dec.Decode(&out); err != nil {
			return nil, fmt.Errorf("not valid JSON: %w", err)
		}
		if dec.More() {
			return nil, fmt.Errorf("not valid JSON: text after the value")
		}
		return out, nil
	}
	return tfValueJSON(v)
}

// tfValueJSON converts a Terraform value to the JSON jsonencode would write for it.
func tfValueJSON(v tftypes.Value) (any, error) {
	if !v.IsKnown() {
		return nil, fmt.Errorf("value is not known yet")
	}
	if v.IsNull() {
		return nil, nil
	}
	t := v.Type()
	switch {
	case t.Is(tftypes.String):
		var s string
		err := v.As(&s)
		return s, err
	case t.Is(tftypes.Bool):
		var b bool
		err := v.As(&b)
		return b, err
	case t.Is(tftypes.Number):
		var n big.Float
		if err := v.As(&n); err != nil {
			return nil, err
		}
		return json.Number(n.Text('f', -1)), nil
	case t.Is(tftypes.Object{}), t.Is(tftypes.Map{}):
		var m map[string]tftypes.Value
		if err := v.As(&m); err != nil {
			return nil, err
		}
		out := make(map[string]any, len(m))
		for k, e := range m {
			j, err := tfValueJSON(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = j
		}
		return out, nil
	case t.Is(tftypes.List{}), t.Is(tftypes.Tuple{}), t.Is(tftypes.Set{}):
		var l []tftypes.Value
		if err := v.As(&l); err != nil {
			return nil, err
		}
		out := make([]any, len(l))
		for i, e := range l {
			j, err := tfValueJSON(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = j
		}
		return out, nil
	}
	return nil, fmt.Errorf("cannot convert a %s to JSON", t)
}
