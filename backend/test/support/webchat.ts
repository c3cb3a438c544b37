import crypto from 'node:crypto';
import type { TestBackend, TestResponse } from './test-backend';

/** A web-chat visitor over HTTP, as the chat page talks to the backend. */
export interface TestVisitor {
  visitorId: string;
  token: string;
  send(update: Record<string, unknown>, headers?: Record<string, string>): Promise<TestResponse>;
  history(after?: number): Promise<TestResponse>;
}

export async function newVisitor(backend: TestBackend, botId: number): Promise<TestVisitor> {
  const created = await backend.request('POST', `/chat/${botId}/api/visitors`);
  if (created.status !== 201) throw new Error(`visitor not created: ${created.status} ${JSON.stringify(created.body)}`);
  const { visitorId, token } = created.body as { visitorId: string; token: string };
  const auth = { authorization: `Bearer ${token}` };
  return {
    visitorId,
    token,
    send: (update, headers = {}) => backend.request('POST', `/chat/${botId}/api/updates`, { body: { id: crypto.randomUUID(), ...update }, headers: { ...auth, ...headers } }),
    history: (after = 0) => backend.request('GET', `/chat/${botId}/api/history?after=${after}`, { headers: auth }),
  };
}

/** One server-sent event stream, read as the page reads it: each `message` event collected in order. */
export interface EventStream {
  messages: Array<{ id: number; direction: string; text?: string; buttons?: unknown; imageUrl?: string }>;
  waitFor(predicate: (messages: EventStream['messages']) => boolean, timeoutMs?: number): Promise<EventStream['messages']>;
  close(): void;
}

export async function openStream(baseUrl: string, botId: number, token: string, after = 0): Promise<EventStream> {
  const controller = new AbortController();
  const res = await fetch(`${baseUrl}/chat/${botId}/api/events?after=${after}`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
  if (res.status !== 200 || !res.body) throw new Error(`stream refused: ${res.status}`);
  const messages: EventStream['messages'] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = /^data: (.*)$/m.exec(event);
          if (/^event: message$/m.test(event) && data) messages.push(JSON.parse(data[1]));
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    messages,
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(messages)) {
        if (Date.now() > deadline) throw new Error(`stream condition not met; got ${JSON.stringify(messages)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return messages;
    },
    close: () => controller.abort(),
  };
}
