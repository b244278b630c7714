// A small SVG line chart for the live lag and rows/s series of the supervisor view.
import { s, fmtNum } from './dom.js';

const W = 600, H = 170, PAD = { l: 56, r: 12, t: 22, b: 22 };

/**
 * lineChart draws points ([timeMillis, value] pairs, oldest first) over the last windowMs,
 * ending now. The y axis starts at 0 and ends at the largest value shown.
 */
export function lineChart({ title, points, windowMs, color = '#2563eb', now = Date.now() }) {
  const shown = points.filter(([t]) => t >= now - windowMs);
  const maxY = Math.max(1, ...shown.map(([, v]) => v));
  const x = (t) => PAD.l + ((t - (now - windowMs)) / windowMs) * (W - PAD.l - PAD.r);
  const y = (v) => H - PAD.b - (v / maxY) * (H - PAD.t - PAD.b);
  const last = shown.length ? shown[shown.length - 1][1] : null;
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title },
    s('text', { x: PAD.l, y: 14 }, `${title}${last === null ? '' : ` — now ${fmtNum(last, 1)}`}`),
    s('line', { class: 'axis', x1: PAD.l, y1: H - PAD.b, x2: W - PAD.r, y2: H - PAD.b }),
    s('line', { class: 'axis', x1: PAD.l, y1: PAD.t, x2: PAD.l, y2: H - PAD.b }),
    s('text', { x: PAD.l - 6, y: PAD.t + 4, 'text-anchor': 'end' }, fmtNum(maxY, maxY < 10 ? 1 : 0)),
    s('text', { x: PAD.l - 6, y: H - PAD.b, 'text-anchor': 'end' }, '0'),
    s('text', { x: PAD.l, y: H - 6 }, `-${Math.round(windowMs / 60000)} min`),
    s('text', { x: W - PAD.r, y: H - 6, 'text-anchor': 'end' }, 'now'));
  if (shown.length === 0) {
    svg.append(s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, 'waiting for data…'));
    return svg;
  }
  const pts = shown.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  svg.append(s('polyline', { class: 'series', points: pts, stroke: color }));
  return svg;
}
