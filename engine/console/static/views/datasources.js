// #/datasources and #/datasources/{ds}: the published datasources (Coordinator metadata API)
// and, for one, its used segments as a timeline per interval with rows and bytes per segment.
import { api, enc, coordinator, ApiError } from '../api.js';
import { h, s, fmtNum, fmtBytes, fmtTime, errorBox } from '../dom.js';

export async function render(main, { ds }) {
  if (ds) return renderDataSource(main, ds);
  const names = await api(`${coordinator}/metadata/datasources`);
  const rows = await Promise.all(names.map(async (name) => {
    const sum = await api(`${coordinator}/datasources/${enc(name)}`).catch(() => null);
    const seg = sum?.segments || {};
    return h('tr', { 'data-ds': name },
      h('td', {}, h('a', { href: `#/datasources/${enc(name)}` }, name)),
      h('td', { class: 'num' }, fmtNum(seg.count)), h('td', { class: 'num' }, fmtNum(seg.numRows)), h('td', { class: 'num' }, fmtBytes(seg.size)),
      h('td', {}, fmtTime(seg.minTime)), h('td', {}, fmtTime(seg.maxTime)));
  }));
  main.replaceChildren(
    h('h1', {}, 'Datasources'),
    h('table', { id: 'datasources' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Datasource'), h('th', { class: 'num' }, 'Segments'), h('th', { class: 'num' }, 'Rows'), h('th', { class: 'num' }, 'Size'),
        h('th', {}, 'From'), h('th', {}, 'To'))),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No published segments yet: a datasource appears when its first segment is published.')))));
}

async function renderDataSource(main, ds) {
  let segments;
  try {
    segments = await api(`${coordinator}/metadata/datasources/${enc(ds)}/segments?full`);
  } catch (err) {
    // The Coordinator answers 404 for a datasource without used segments.
    const msg = err instanceof ApiError && err.status === 404 ? h('p', { class: 'muted' }, 'No published segments for this datasource yet.') : errorBox(err);
    main.replaceChildren(h('h1', {}, ds), msg);
    return;
  }
  segments.sort((a, b) => a.interval.localeCompare(b.interval) || (a.shardSpec?.partitionNum || 0) - (b.shardSpec?.partitionNum || 0));
  const totalRows = segments.reduce((n, x) => n + (x.numRows || 0), 0);
  const totalSize = segments.reduce((n, x) => n + (x.size || 0), 0);
  main.replaceChildren(
    h('h1', {}, 'Datasource ', ds),
    h('p', {}, `${segments.length} used segments, ${fmtNum(totalRows)} rows, ${fmtBytes(totalSize)}.`),
    timeline(segments),
    h('h2', {}, 'Segments'),
    h('table', { id: 'segments' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Interval'), h('th', { class: 'num' }, 'Partition'), h('th', {}, 'Version'),
        h('th', { class: 'num' }, 'Rows'), h('th', { class: 'num' }, 'Size'), h('th', {}, 'Id'))),
      h('tbody', {}, segments.map((x) => h('tr', {},
        h('td', {}, x.interval), h('td', { class: 'num' }, x.shardSpec?.partitionNum ?? 0), h('td', {}, x.version),
        h('td', { class: 'num' }, fmtNum(x.numRows)), h('td', { class: 'num' }, fmtBytes(x.size)), h('td', { class: 'wrap' }, h('code', {}, x.identifier)))))));
}

/**
 * timeline draws one column per segment interval on a time axis, the interval's segments
 * stacked in it (one box per partition), each box as tall as its share of the largest
 * interval's rows.
 */
function timeline(segments) {
  const W = 900, H = 220, PAD = { l: 60, r: 12, t: 16, b: 34 };
  const spans = segments.map((x) => x.interval.split('/').map((t) => Date.parse(t)));
  const t0 = Math.min(...spans.map(([a]) => a)), t1 = Math.max(...spans.map(([, b]) => b));
  const perInterval = new Map();
  segments.forEach((x, i) => {
    const k = x.interval;
    if (!perInterval.has(k)) perInterval.set(k, { span: spans[i], segs: [], rows: 0 });
    const e = perInterval.get(k);
    e.segs.push(x);
    e.rows += x.numRows || 0;
  });
  const maxRows = Math.max(1, ...[...perInterval.values()].map((e) => e.rows));
  const x = (t) => PAD.l + ((t - t0) / Math.max(1, t1 - t0)) * (W - PAD.l - PAD.r);
  const y = (rows) => (rows / maxRows) * (H - PAD.t - PAD.b);
  const colors = ['#2563eb', '#0891b2', '#7c3aed', '#15803d', '#b45309'];
  const versions = [...new Set(segments.map((v) => v.version))].sort();
  const svg = s('svg', { class: 'timeline', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'segment timeline' },
    s('line', { class: 'axis', x1: PAD.l, y1: H - PAD.b, x2: W - PAD.r, y2: H - PAD.b }),
    s('line', { class: 'axis', x1: PAD.l, y1: PAD.t, x2: PAD.l, y2: H - PAD.b }),
    s('text', { x: PAD.l - 6, y: PAD.t + 4, 'text-anchor': 'end' }, fmtNum(maxRows)),
    s('text', { x: PAD.l - 6, y: H - PAD.b, 'text-anchor': 'end' }, '0 rows'),
    s('text', { x: PAD.l, y: H - 8 }, new Date(t0).toISOString().replace('.000Z', 'Z')),
    s('text', { x: W - PAD.r, y: H - 8, 'text-anchor': 'end' }, new Date(t1).toISOString().replace('.000Z', 'Z')));
  for (const { span: [a, b], segs } of perInterval.values()) {
    let base = H - PAD.b;
    for (const seg of segs) {
      const hgt = Math.max(2, y(seg.numRows || 0));
      base -= hgt;
      svg.append(s('rect', {
        class: 'segment', x: x(a), y: base, width: Math.max(2, x(b) - x(a)), height: hgt,
        fill: colors[versions.indexOf(seg.version) % colors.length],
      }, s('title', {}, `${seg.identifier}\n${fmtNum(seg.numRows)} rows, ${fmtBytes(seg.size)}`)));
    }
  }
  return svg;
}
