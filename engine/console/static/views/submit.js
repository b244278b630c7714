// #/submit and #/submit/{id}: a spec editor. Validate asks the engine for a dry run
// (POST /druid/indexer/v1/supervisor?validateOnly=true); Submit creates or updates the
// supervisor. An error names a JSON path ("ioConfig.taskCount: must be ≥ 1"), which the editor
// finds in the text, marks in the gutter and selects.
import { api, enc, overlord } from '../api.js';
import { h, pretty, errorBox } from '../dom.js';
import { errorPath, locate, lineOf } from '../jsonpath.js';

const template = {
  type: 'kafka',
  spec: {
    dataSchema: {
      dataSource: 'my-datasource',
      timestampSpec: { column: 'timestamp', format: 'auto' },
      dimensionsSpec: { dimensions: [] },
      granularitySpec: { segmentGranularity: 'HOUR', queryGranularity: 'NONE', rollup: false },
    },
    ioConfig: {
      topic: 'my-topic',
      inputFormat: { type: 'json' },
      consumerProperties: { 'bootstrap.servers': 'localhost:9092' },
      taskCount: 1,
      useEarliestOffset: true,
    },
    tuningConfig: { type: 'kafka' },
  },
};

export async function render(main, { id }) {
  let initial = pretty(template);
  if (id) {
    try {
      initial = pretty(await api(`${overlord}/supervisor/${enc(id)}`));
    } catch (err) {
      main.replaceChildren(errorBox(err));
      return;
    }
  }
  const gutter = h('pre', { class: 'gutter', 'aria-hidden': 'true' });
  const text = h('textarea', { id: 'spec-text', spellcheck: 'false', autocomplete: 'off', 'aria-label': 'Supervisor spec JSON' });
  text.value = initial;
  const feedback = h('div', { class: 'feedback', id: 'feedback', role: 'status' });
  let errorLine = 0;

  const drawGutter = () => {
    const n = text.value.split('\n').length;
    gutter.replaceChildren(...Array.from({ length: n }, (_, i) => h('span', { class: i + 1 === errorLine ? 'err' : null }, i + 1)));
    gutter.scrollTop = text.scrollTop;
  };
  const mark = (line, start, end) => {
    errorLine = line;
    drawGutter();
    if (start !== undefined) {
      text.focus({ preventScroll: true });
      text.setSelectionRange(start, end);
    }
    const lh = parseFloat(getComputedStyle(text).lineHeight) || 18;
    text.scrollTop = Math.max(0, (line - 4) * lh);
    gutter.scrollTop = text.scrollTop;
  };
  const fail = (msg, where) => {
    const path = errorPath(msg);
    const parts = [];
    if (path) parts.push(h('span', { class: 'path', id: 'error-path' }, path), msg.slice(path.length));
    else parts.push(msg);
    if (where) parts.push(h('span', { class: 'muted' }, ` (line ${where.line}${where.exact === false ? ', the nearest enclosing key' : ''})`));
    feedback.replaceChildren(h('p', { class: 'error' }, ...parts));
    if (where) mark(where.line, where.start, where.end);
    else { errorLine = 0; drawGutter(); }
  };

  // check parses the text locally (a syntax error is reported at its line without a round
  // trip), then sends it to the engine.
  const check = async (validateOnly) => {
    const body = text.value;
    try {
      JSON.parse(body);
    } catch (err) {
      const pos = /position (\d+)/.exec(err.message);
      const lineCol = /line (\d+) column (\d+)/.exec(err.message);
      const line = lineCol ? Number(lineCol[1]) : pos ? lineOf(body, Number(pos[1])) : 1;
      fail(`JSON syntax error: ${err.message}`, { line, start: pos ? Number(pos[1]) : undefined, end: pos ? Number(pos[1]) + 1 : undefined });
      return;
    }
    feedback.replaceChildren(h('p', { class: 'muted' }, validateOnly ? 'Validating…' : 'Submitting…'));
    try {
      const res = await api(`${overlord}/supervisor${validateOnly ? '?validateOnly=true' : ''}`, { method: 'POST', body });
      errorLine = 0;
      drawGutter();
      if (!validateOnly) {
        location.hash = `#/supervisors/${enc(res.id)}`;
        return;
      }
      feedback.replaceChildren(h('p', { class: 'good', id: 'valid' }, `Valid: supervisor ${res.id}.`,
        res.impact ? ` Submitting it is ${res.impact}${res.impactReason ? `: ${res.impactReason}` : ''}${res.impactFields?.length ? ` (${res.impactFields.join(', ')})` : ''}.` : ''),
      (res.warnings || []).map((w) => h('p', { class: 'muted' }, `Warning: ${w}`)));
    } catch (err) {
      const path = errorPath(err.message);
      fail(err.message, path ? locate(body, path) : null);
    }
  };

  let debounce = null;
  text.addEventListener('input', () => {
    drawGutter();
    clearTimeout(debounce);
    debounce = setTimeout(() => check(true), 800);
  });
  text.addEventListener('scroll', () => { gutter.scrollTop = text.scrollTop; });
  text.addEventListener('keydown', (e) => {
    if (e.key === 'Tab') { // indent instead of leaving the editor
      e.preventDefault();
      text.setRangeText('  ', text.selectionStart, text.selectionEnd, 'end');
      text.dispatchEvent(new Event('input'));
    }
  });

  main.replaceChildren(
    h('h1', {}, id ? `Edit spec of ${id}` : 'Submit a supervisor spec'),
    h('p', { class: 'muted' }, 'Any spec shape Druid accepts works here. Validate is a dry run: nothing changes until you submit. ',
      'For an existing supervisor, validation says whether submitting restarts its tasks.'),
    h('div', { class: 'editor' }, gutter, text),
    feedback,
    h('p', { class: 'actions' },
      h('button', { type: 'button', id: 'validate', onclick: () => check(true) }, 'Validate'),
      h('button', { type: 'button', id: 'submit', class: 'primary', onclick: () => check(false) }, id ? 'Update supervisor' : 'Submit supervisor'),
      h('button', { type: 'button', onclick: () => { try { text.value = pretty(JSON.parse(text.value)); drawGutter(); } catch { check(true); } } }, 'Format')));
  drawGutter();
  return () => clearTimeout(debounce);
}
