// Small DOM and formatting helpers shared by the views. Text always goes in as text nodes,
// never as HTML, so ids and error messages from the API cannot inject markup.

/**
 * h builds an element: h('td', {class: 'num'}, '12'). Attributes starting with "on" become
 * event listeners; null, undefined and false children are skipped; arrays are flattened.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

const svgNS = 'http://www.w3.org/2000/svg';

/** s builds an SVG element, like h. */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(svgNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== undefined && v !== null) el.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c !== undefined && c !== null) el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** fmtNum prints a number with thousands separators, or – when unknown. */
export function fmtNum(n, digits = 0) {
  if (n === undefined || n === null || Number.isNaN(n)) return '–';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** fmtBytes prints a byte count in binary units. */
export function fmtBytes(n) {
  if (n === undefined || n === null) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${fmtNum(n, i ? 1 : 0)} ${units[i]}`;
}

/** fmtDuration prints milliseconds as 1h 2m 3s (Druid reports -1 while a task runs). */
export function fmtDuration(ms) {
  if (ms === undefined || ms === null || ms < 0) return '–';
  const sec = Math.round(ms / 1000);
  const parts = [];
  if (sec >= 3600) parts.push(`${Math.floor(sec / 3600)}h`);
  if (sec >= 60) parts.push(`${Math.floor((sec % 3600) / 60)}m`);
  parts.push(`${sec % 60}s`);
  return parts.join(' ');
}

/** fmtTime prints an ISO timestamp or epoch millis in the browser's locale. */
export function fmtTime(t) {
  if (t === undefined || t === null || t === '') return '–';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : d.toLocaleString();
}

/**
 * stateClass picks the colour of a supervisor or task state: green when working, amber while
 * starting, pending or suspended, red when failing or unhealthy, grey otherwise.
 */
export function stateClass(state) {
  const st = String(state || '').toUpperCase();
  if (['RUNNING', 'SUCCESS', 'READING'].includes(st)) return 'state-ok';
  if (/UNHEALTHY|FAIL|LOST|ERROR|INVALID/.test(st)) return 'state-bad';
  if (/PENDING|WAITING|SUSPEND|STOPPING|CREATING|CONNECTING|DISCOVERING|PUBLISHING|IDLE|PAUSED|STARTING/.test(st)) return 'state-warn';
  return 'state-idle';
}

/** badge is a coloured state pill. */
export function badge(state, extra = {}) {
  return h('span', { class: `badge ${stateClass(state)}`, ...extra }, state || '–');
}

/** errorBox shows a failed load in place of a view's content. */
export function errorBox(err) {
  return h('p', { class: 'error' }, err && err.message ? err.message : String(err));
}

/** pretty indents JSON the same way everywhere, so diffs line up. */
export function pretty(v) {
  return JSON.stringify(v, null, 2);
}
