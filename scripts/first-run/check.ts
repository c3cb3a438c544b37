import crypto from 'node:crypto';
import { z } from 'zod/v4';
import type { DemoBot } from './backend';

const callAnswer = z.object({ success: z.literal(true), trace_id: z.string() });
const traceAnswer = z.object({ hops: z.array(z.object({ hop: z.string(), alias: z.string().nullish() }).loose()) });

async function poll<T>(what: string, timeoutMs: number, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await attempt().catch(() => undefined);
    if (result !== undefined) return result;
    if (Date.now() > deadline) throw new Error(`check failed: ${what} within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * The smoke test of the playground: a CRM-style call to demo/ping reaches the demo workflow in
 * n8n (signed webhook), which calls demo/pong back on the same trace. Answers the round trip in ms.
 */
export async function roundTrip(backendUrl: string, bot: DemoBot): Promise<number> {
  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${backendUrl}/api/v1/bots/${bot.botId}${path}`, {
      method,
      headers: { authorization: `Bearer ${bot.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then((r) => r.json() as Promise<unknown>);
  await poll('the demo workflow to subscribe', 60_000, async () => {
    const { subscriptions } = z.object({ subscriptions: z.array(z.unknown()) }).parse(await api('GET', '/subscriptions'));
    return subscriptions.length > 0 ? true : undefined;
  });
  const started = Date.now();
  const call = callAnswer.parse(await api('POST', '/call/demo/ping', { script_request_params: { nonce: crypto.randomUUID() } }));
  await poll('demo/pong from the n8n workflow', 60_000, async () => {
    const { hops } = traceAnswer.parse(await api('GET', `/traces/${call.trace_id}`));
    return hops.some((h) => h.hop === 'endpoint.called' && h.alias === 'demo/pong') ? true : undefined;
  });
  return Date.now() - started;
}
