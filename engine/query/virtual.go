package query

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
)

// Virtual columns are Druid's ExpressionVirtualColumn: a named expression
// (engine/expr, the language of transforms) that dimensions, filters,
// aggregators and other virtual columns read like a stored column. They are
// computed per segment, after any join, for the rows in the query intervals
// only, into an ordinary decoded column: a string result gets a dictionary
// and bitmaps, so filters on it take the same bitmap path as stored strings.

// virtualColumn is one parsed virtual column.
type virtualColumn struct {
	name string
	expr *expr.Expr
	kind colKind // colMissing: inferred from the values
}

// virtualColumns is the query's "virtualColumns".
type virtualColumns struct {
	list   []*virtualColumn
	byName map[string]*virtualColumn
}

// parseVirtualColumns reads "virtualColumns"; nil when there are none.
func parseVirtualColumns(q rawQuery) (*virtualColumns, error) {
	var raws []json.RawMessage
	if err := q.decode("virtualColumns", &raws); err != nil {
		return nil, err
	}
	if len(raws) == 0 {
		return nil, nil
	}
	vs := &virtualColumns{byName: map[string]*virtualColumn{}}
	for i, raw := range raws {
		p := fmt.Sprintf("virtualColumns[%d]", i)
		var o struct {
			Type       string  `json:"type"`
			Name       string  `json:"name"`
			Expression *string `json:"expression"`
			OutputType *string `json:"outputType"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			return nil, badQuery(p, "not a virtual column object: %v", err)
		}
		switch o.Type {
		case "expression":
		case "":
			return nil, badQuery(p+".type", "missing (expected expression)")
		default:
			return nil, badQuery(p+".type", "unsupported virtual column type %q (only expression)", o.Type)
		}
		switch {
		case o.Name == "":
			return nil, badQuery(p+".name", "missing")
		case o.Name == segment.TimeColumn:
			return nil, badQuery(p+".name", "%s cannot be a virtual column", segment.TimeColumn)
		case vs.byName[o.Name] != nil:
			return nil, badQuery(p+".name", "duplicate virtual column %q", o.Name)
		}
		if o.Expression == nil {
			return nil, badQuery(p+".expression", "missing")
		}
		e, err := expr.Parse(*o.Expression)
		if err != nil {
			return nil, badQuery(p+".expression", "%v", err)
		}
		vc := &virtualColumn{name: o.Name, expr: e}
		if o.OutputType != nil {
			k, multi, ok := parseColumnType(*o.OutputType)
			if !ok || k == colComplex || multi {
				return nil, badQuery(p+".outputType", "unsupported output type %q (expected STRING, LONG, DOUBLE or FLOAT)", *o.OutputType)
			}
			vc.kind = k
		}
		vs.list = append(vs.list, vc)
		vs.byName[o.Name] = vc
	}
	// Druid refuses virtual columns that read themselves, directly or not.
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(vc *virtualColumn, chain []string) error
	visit = func(vc *virtualColumn, chain []string) error {
		switch state[vc.name] {
		case 1:
			i := 0
			for i < len(vs.list) && vs.list[i] != vc {
				i++
			}
			return badQuery(fmt.Sprintf("virtualColumns[%d].expression", i), "self-referential virtual column: %s", strings.Join(append(chain, vc.name), " -> "))
		case 2:
			return nil
		}
		state[vc.name] = 1
		for _, id := range vc.expr.Identifiers() {
			if dep := vs.byName[id]; dep != nil {
				if err := visit(dep, append(chain, vc.name)); err != nil {
					return err
				}
			}
		}
		state[vc.name] = 2
		return nil
	}
	for _, vc := range vs.list {
		if err := visit(vc, nil); err != nil {
			return nil, err
		}
	}
	return vs, nil
}

// virtualColumn computes vc on the segment, once.
func (sc *segCtx) virtualColumn(vc *virtualColumn) (*column, error) {
	if c := sc.vcols[vc.name]; c != nil {
		return c, nil
	}
	perID, src, err := sc.evalPerValue(vc)
	if err != nil {
		return nil, err
	}
	var c *column
	if perID != nil {
		// Rows outside the query intervals get values too; nothing reads them.
		kind := vc.kind
		if kind == colMissing {
			kind = inferKind(perID)
		}
		c = memColumnGather(vc.name, kind, coerce(perID, kind), src.ids)
	} else {
		n := sc.cols.NumRows()
		vals := make([]expr.Value, n)
		rb := newRowBinding(sc.column)
		err = forRows(sc.ctx, sc.scope, func(row int) {
			rb.row = row
			vals[row] = vc.expr.Eval(rb)
		})
		if err == nil {
			err = rb.err
		}
		if err != nil {
			return nil, err
		}
		kind := vc.kind
		if kind == colMissing {
			kind = inferKind(vals)
		}
		c = memColumn(vc.name, kind, n, func(i int) expr.Value { return coerceValue(vals[i], kind) })
	}
	if sc.vcols == nil {
		sc.vcols = map[string]*column{}
	}
	sc.vcols[vc.name] = c
	return c, nil
}

// evalPerValue evaluates an expression that reads one single-valued string
// column once per dictionary value (nvl("j0.v", 'none'), concat(page, 'x')),
// instead of once per row; nil when the expression reads anything else.
func (sc *segCtx) evalPerValue(vc *virtualColumn) ([]expr.Value, *column, error) {
	ids := vc.expr.Identifiers()
	if len(ids) != 1 {
		return nil, nil, nil
	}
	src, err := sc.column(ids[0])
	if err != nil || src.kind != colString || src.multi {
		return nil, nil, err
	}
	per := make([]expr.Value, len(src.dict))
	b := &valueBinding{name: ids[0]}
	for id := range src.dict {
		b.v = expr.Null()
		if id > 0 {
			b.v = expr.String(src.dict[id])
		}
		per[id] = vc.expr.Eval(b)
	}
	return per, src, nil
}
