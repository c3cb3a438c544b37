// The backend's send, as the delivery benches post it: one POST /messages, timed, refused loudly.

/** POSTs the send and answers how long the accept took and the backend's answer; anything but 202 throws. */
async function postMessage(backend, body) {
  const started = performance.now();
  const res = await fetch(`${backend.url}/api/v1/bots/${backend.botId}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${backend.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await res.json();
  if (res.status !== 202) throw new Error(`send refused: ${res.status} ${JSON.stringify(answer).slice(0, 300)}`);
  return { ms: performance.now() - started, answer };
}

/** The middle value (the upper one of an even count), as the delivery benches report p50. */
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

module.exports = { postMessage, median };
