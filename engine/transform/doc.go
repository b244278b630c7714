// Package transform applies a transformSpec to parsed rows: expression transforms (Druid's
// ExpressionTransform inside a Transformer) followed by the row filter (Druid's DimFilter
// family evaluated by a ValueMatcher on the input row).
//
// Transforms read input fields only, never another transform's output: all expressions are
// evaluated first and written afterwards. A transform named like an input field shadows it; a
// transform named __time sets the row time. Rows the filter rejects are thrownAway for the
// caller.
//
// Filters use SQL-compatible three-valued logic, as Druid does with
// druid.generic.useDefaultValueForNull=false: a comparison with a null value is unknown, NOT
// of unknown stays unknown, and only rows whose filter is true are kept. So
// not(selector(x, 'a')) drops rows where x is null. Multi-value rows match when any value
// matches; an empty multi-value is null.
package transform
