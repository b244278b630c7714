// Calls to the engine's Druid-compatible REST API. Requests go to the page's own origin, so
// the browser attaches the basic-auth credentials it was given when it loaded the console.

/** ApiError is a non-2xx answer; message is the server's {"error": …} text when it sent one. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/**
 * api sends one request and returns the decoded JSON answer (or the text when it is not JSON,
 * null when empty). body, when given, is sent as JSON; a string is sent as it is.
 */
export async function api(path, { method = 'GET', body } = {}) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let data = text;
  try {
    data = text === '' ? null : JSON.parse(text);
  } catch {
    // not JSON: keep the text (task logs, some Druid error bodies)
  }
  if (!res.ok) {
    const msg = data && typeof data === 'object' && data.error ? data.error : (text || res.statusText);
    throw new ApiError(res.status, msg);
  }
  return data;
}

/** enc escapes one path segment (supervisor, task and datasource ids). */
export const enc = encodeURIComponent;

export const overlord = '/druid/indexer/v1';
export const coordinator = '/druid/coordinator/v1';
