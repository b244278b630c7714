// poll runs fn now and then every ms until the returned stop function is called; a run never
// overlaps the previous one, so a slow server is not flooded.

export function poll(fn, ms) {
  let stopped = false, timer = null;
  const tick = async () => {
    try { await fn(); } catch (err) { console.error(err); }
    if (!stopped) timer = setTimeout(tick, ms);
  };
  tick();
  return () => { stopped = true; clearTimeout(timer); };
}
