package main

import (
	"fmt"
	"strings"
)

// diffOp is one line of an edit script: ' ' kept, '-' only in a, '+' only in b.
type diffOp struct {
	kind byte
	line string
}

// lineDiff is the edit script turning a into b through a longest common subsequence of lines.
// The table is O(len(a)·len(b)), which spec versions (a few hundred lines) afford easily.
func lineDiff(a, b []string) []diffOp {
	n, m := len(a), len(b)
	// lcs[i][j] is the LCS length of a[i:] and b[j:].
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	ops := make([]diffOp, 0, n+m)
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			ops = append(ops, diffOp{' ', a[i]})
			i++
			j++
		case lcs[i+1][j] >= lcs[i][j+1]:
			ops = append(ops, diffOp{'-', a[i]})
			i++
		default:
			ops = append(ops, diffOp{'+', b[j]})
			j++
		}
	}
	for ; i < n; i++ {
		ops = append(ops, diffOp{'-', a[i]})
	}
	for ; j < m; j++ {
		ops = append(ops, diffOp{'+', b[j]})
	}
	return ops
}

// unifiedDiff renders the difference of a and b in the unified format of `diff -u`, with
// context lines around each change; it is "" when a and b are equal.
func unifiedDiff(nameA, nameB string, a, b []string, context int) string {
	ops := lineDiff(a, b)
	// Group changes whose context would overlap into one hunk: [start, end) over ops.
	type span struct{ start, end int }
	var hunks []span
	for k, op := range ops {
		if op.kind == ' ' {
			continue
		}
		start, end := max(k-context, 0), min(k+context+1, len(ops))
		if len(hunks) > 0 && start <= hunks[len(hunks)-1].end {
			hunks[len(hunks)-1].end = end
		} else {
			hunks = append(hunks, span{start, end})
		}
	}
	if len(hunks) == 0 {
		return ""
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- %s\n+++ %s\n", nameA, nameB)
	// lineA and lineB are the 1-based line numbers in a and b at the start of ops[k].
	lineA, lineB, k := 1, 1, 0
	advance := func(to int) {
		for ; k < to; k++ {
			if ops[k].kind != '+' {
				lineA++
			}
			if ops[k].kind != '-' {
				lineB++
			}
		}
	}
	for _, h := range hunks {
		advance(h.start)
		countA, countB := 0, 0
		for _, op := range ops[h.start:h.end] {
			if op.kind != '+' {
				countA++
			}
			if op.kind != '-' {
				countB++
			}
		}
		fmt.Fprintf(&sb, "@@ -%s +%s @@\n", hunkRange(lineA, countA), hunkRange(lineB, countB))
		for _, op := range ops[h.start:h.end] {
			sb.WriteByte(op.kind)
			sb.WriteString(op.line)
			sb.WriteByte('\n')
		}
		advance(h.end)
	}
	return sb.String()
}

// hunkRange is a hunk header range as diff -u writes it: "start,count", just "start" for one
// line, and the line before for an empty range.
func hunkRange(start, count int) string {
	switch count {
	case 0:
		return fmt.Sprintf("%d,0", start-1)
	case 1:
		return fmt.Sprintf("%d", start)
	}
	return fmt.Sprintf("%d,%d", start, count)
}
