// Package expr parses and evaluates the subset of Druid's native expression language used by
// ingestion: transformSpec expression transforms, the expression filter and expression inputs
// of aggregators (Druid's org.apache.druid.math.expr: Parser, Expr, ExprEval, Function).
//
// # Values
//
// A Value is null, a long (int64), a double (float64), a string or a string array (a
// multi-value string column). Literals: 123 is a long, 1.5 / 1e3 a double, 'text' a string
// (backslash escapes \' \\ \n \t \r \uXXXX), null. Identifiers are bare (country, a.b) or
// double-quoted ("my col").
//
// # Semantics (Druid's SQL-compatible null handling, useStrictBooleans=true)
//
//   - Arithmetic + - * / % ^ on two longs is long, otherwise double. Any null operand gives
//     null. Long division or modulo by zero gives null (Druid would throw). + with a string
//     operand concatenates, as Druid's BinPlusExpr does.
//   - Comparisons < <= > >= == != compare as strings when both sides are strings, otherwise
//     numerically; the result is the long 1 or 0, or null when either side is null.
//   - Truthiness: a long or double is true when non-zero; a string is true when it parses as
//     a non-zero number or equals "true" ignoring case; null and empty arrays are false.
//   - && || ! use three-valued logic: null && false = 0, null && true = null,
//     null || true = 1, null || false = null, !null = null. Results are 1, 0 or null.
//   - A string that looks like a number is used as that number in arithmetic ('3' * 2 = 6);
//     one that does not makes the arithmetic null.
//   - Multi-value inputs: when exactly one identifier read by the expression is bound to an
//     array of several values, the expression is applied to each element and the results are
//     collected into an array (Druid's implicit "apply" mapping). A one-element array is read
//     as its element and an empty array as null.
//
// Parse rejects unknown functions and wrong arity with an error naming the function and the
// supported ones, so a spec holding a bad expression fails validation on submission.
package expr
