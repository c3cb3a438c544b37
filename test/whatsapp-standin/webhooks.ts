import crypto from 'node:crypto';

/**
 * Meta's webhook deliveries as a user's phone causes them
 * (developers.facebook.com/docs/graph-api/webhooks/getting-started, …/whatsapp/cloud-api/webhooks/components):
 * a JSON body signed with `X-Hub-Signature-256: sha256=<HMAC-SHA256(app secret, raw body)>`,
 * delivered again with backoff until the endpoint answers 200.
 */

export interface Delivery {
  status: number;
  body: string;
  attempts: number;
}

export function signature(appSecret: string, raw: string): string {
  return `sha256=${crypto.createHmac('sha256', appSecret).update(raw).digest('hex')}`;
}

export function envelope(phoneNumberId: string, value: Record<string, unknown>): Record<string, unknown> {
  return {
    object: 'whatsapp_business_account',
    entry: [{ id: '100000000000001', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550000000', phone_number_id: phoneNumberId }, ...value } }] }],
  };
}

export interface Retry {
  retries: number;
  backoffMs: number;
  /** True once the stand-in closes: a delivery still retrying gives up. */
  stopped: () => boolean;
}

/** POSTs until a 2xx (Meta retries for days; here `retries` times, `backoffMs`·n apart). */
export async function deliver(url: string, raw: string, headerValue: string | undefined, retry: Retry): Promise<Delivery> {
  let last: Delivery = { status: 0, body: '', attempts: 0 };
  for (let attempt = 1; attempt <= retry.retries + 1 && !retry.stopped(); attempt++) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (headerValue !== undefined) headers['x-hub-signature-256'] = headerValue;
    try {
      const response = await fetch(url, { method: 'POST', headers, body: raw });
      last = { status: response.status, body: await response.text(), attempts: attempt };
    } catch (error) {
      last = { status: 0, body: (error as Error).message, attempts: attempt };
    }
    if (last.status >= 200 && last.status < 300) return last;
    // Refusals of a forged or wrong body are final for the caller to see.
    if (last.status === 400 || last.status === 401 || last.status === 403 || last.status === 404) return last;
    await new Promise((resolve) => setTimeout(resolve, retry.backoffMs * attempt));
  }
  return last;
}
