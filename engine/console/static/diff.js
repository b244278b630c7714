// A line diff (longest common subsequence) for comparing two versions of a spec.

/**
 * diffLines returns the lines of a and b as [op, text] pairs, op being ' ' (in both), '-'
 * (only in a) or '+' (only in b). The common head and tail are matched first, so two specs
 * that differ in a few lines cost little however long they are.
 */
export function diffLines(a, b) {
  const x = a.split('\n'), y = b.split('\n');
  let head = 0;
  while (head < x.length && head < y.length && x[head] === y[head]) head++;
  let tail = 0;
  while (tail < x.length - head && tail < y.length - head && x[x.length - 1 - tail] === y[y.length - 1 - tail]) tail++;
  const xs = x.slice(head, x.length - tail), ys = y.slice(head, y.length - tail);
  // lcs[i][j]: length of the longest common subsequence of xs[i:] and ys[j:].
  const lcs = Array.from({ length: xs.length + 1 }, () => new Uint32Array(ys.length + 1));
  for (let i = xs.length - 1; i >= 0; i--) {
    for (let j = ys.length - 1; j >= 0; j--) {
      lcs[i][j] = xs[i] === ys[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out = x.slice(0, head).map((l) => [' ', l]);
  let i = 0, j = 0;
  while (i < xs.length || j < ys.length) {
    if (i < xs.length && j < ys.length && xs[i] === ys[j]) { out.push([' ', xs[i]]); i++; j++; }
    else if (j < ys.length && (i === xs.length || lcs[i][j + 1] >= lcs[i + 1][j])) { out.push(['+', ys[j]]); j++; }
    else { out.push(['-', xs[i]]); i++; }
  }
  return out.concat(x.slice(x.length - tail).map((l) => [' ', l]));
}
