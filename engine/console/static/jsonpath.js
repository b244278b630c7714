// Maps a JSON path from an API error ("ioConfig.taskCuont: unknown field") to where that key
// sits in the text of the spec being edited, so the editor can point at it.

/**
 * parsePath splits "dataSchema.metricsSpec[1].fieldName" into ["dataSchema", "metricsSpec", 1,
 * "fieldName"].
 */
export function parsePath(path) {
  const out = [];
  for (const part of path.split('.')) {
    const m = part.match(/^([^[\]]*)((?:\[\d+\])*)$/);
    if (!m) { out.push(part); continue; }
    if (m[1] !== '') out.push(m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

/** errorPath returns the JSON path an API error message starts with, or null. */
export function errorPath(message) {
  const m = /^([A-Za-z_$][\w$-]*(?:\[\d+\])*(?:\.[A-Za-z_$@][\w$@-]*(?:\[\d+\])*)*): /.exec(message || '');
  return m ? m[1] : null;
}

/**
 * keyLocations scans JSON text and returns, for every object key and array element, its path
 * (as parsePath gives it) and the text range of the key (or, for an element, of its value).
 * It stops quietly at the first syntax error: what was found before it is still useful.
 */
export function keyLocations(text) {
  const found = [];
  let i = 0;
  const ws = () => { while (i < text.length && ' \t\r\n'.includes(text[i])) i++; };
  const str = () => {
    const start = i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return { start, end: i, value: JSON.parse(text.slice(start, i)) };
  };
  const value = (path) => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++; ws();
      if (text[i] === '}') { i++; return; }
      for (;;) {
        ws();
        if (text[i] !== '"') throw new Error('key expected');
        const k = str();
        found.push({ path: [...path, k.value], start: k.start, end: k.end });
        ws();
        if (text[i++] !== ':') throw new Error('colon expected');
        value([...path, k.value]);
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return; }
        throw new Error('comma expected');
      }
    } else if (c === '[') {
      i++; ws();
      if (text[i] === ']') { i++; return; }
      for (let n = 0; ; n++) {
        ws();
        const start = i;
        value([...path, n]);
        found.push({ path: [...path, n], start, end: i });
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return; }
        throw new Error('comma expected');
      }
    } else if (c === '"') {
      str();
    } else {
      const m = /^(?:-?\d[\d.eE+-]*|true|false|null)/.exec(text.slice(i, i + 64));
      if (!m) throw new Error('value expected');
      i += m[0].length;
    }
  };
  try { value([]); } catch { /* keep what was found */ }
  return found;
}

/**
 * locate finds the text range of path in text. API paths are relative to the spec, while the
 * text may wrap it ({"type":"kafka","spec":{…}}), so a key whose path ends with the wanted
 * segments matches, the shallowest first. When the key itself is absent (a missing field) the
 * nearest parent that exists is returned, with exact false. Returns null when nothing matches.
 */
export function locate(text, path) {
  const want = parsePath(path);
  const keys = keyLocations(text);
  for (let n = want.length; n > 0; n--) {
    const tail = want.slice(0, n);
    const hits = keys.filter((k) => k.path.length >= n && tail.every((seg, j) => k.path[k.path.length - n + j] === seg));
    if (hits.length) {
      hits.sort((a, b) => a.path.length - b.path.length);
      const { start, end } = hits[0];
      return { start, end, line: lineOf(text, start), exact: n === want.length };
    }
  }
  return null;
}

/** lineOf is the 1-based line number of a text offset. */
export function lineOf(text, offset) {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === '\n') line++;
  return line;
}
