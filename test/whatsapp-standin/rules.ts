/**
 * What the Cloud API refuses in a send, with Meta's codes and error shape. References:
 * - errors: developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes
 *   (190 access token, 131009 parameter value not valid, 131047 re-engagement message,
 *   131026 message undeliverable, 130429 throughput, 131056 pair rate, 132001 template does not exist,
 *   131000 something went wrong)
 * - messages and their limits: developers.facebook.com/docs/whatsapp/cloud-api/messages/interactive-reply-buttons-messages
 *   (1–3 reply buttons, titles ≤ 20 characters, ids ≤ 256, body ≤ 1024) and …/interactive-list-messages
 *   (≤ 10 rows, row titles ≤ 24, button label ≤ 20); text bodies ≤ 4096 (…/messages/text-messages)
 */

export class GraphError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: number,
    message: string,
    readonly details?: string,
  ) {
    super(message);
  }

  body(): unknown {
    return {
      error: {
        message: `(#${this.code}) ${this.message}`,
        type: 'OAuthException',
        code: this.code,
        ...(this.details ? { error_data: { messaging_product: 'whatsapp', details: this.details } } : {}),
        fbtrace_id: 'AStandin',
      },
    };
  }
}

export const invalidParameter = (details: string) => new GraphError(400, 131009, 'Parameter value is not valid', details);

type Json = Record<string, any>;
const length = (text: unknown) => (typeof text === 'string' ? [...text].length : -1);

function checkButtons(interactive: Json): void {
  const buttons: Json[] = interactive.action?.buttons ?? [];
  if (buttons.length < 1 || buttons.length > 3) throw invalidParameter('Buttons count is invalid: 1 to 3 reply buttons');
  const ids = new Set<string>();
  for (const button of buttons) {
    const title = button.reply?.title;
    if (length(title) < 1 || length(title) > 20) throw invalidParameter('Button title length invalid. Min length: 1, Max length: 20');
    if (length(button.reply?.id) < 1 || length(button.reply.id) > 256 || ids.has(button.reply.id)) throw invalidParameter('Button id is invalid or not unique');
    ids.add(button.reply.id);
  }
}

function checkList(interactive: Json): void {
  const rows: Json[] = (interactive.action?.sections ?? []).flatMap((s: Json) => s.rows ?? []);
  if (rows.length < 1 || rows.length > 10) throw invalidParameter('Total row count exceed max allowed count: 10');
  if (length(interactive.action?.button) < 1 || length(interactive.action.button) > 20) throw invalidParameter('Button label length invalid: 1 to 20');
  if (rows.some((row) => length(row.title) < 1 || length(row.title) > 24)) throw invalidParameter('Row title length invalid. Max length: 24');
  if (interactive.header && interactive.header.type !== 'text') throw invalidParameter('A list header can only be text');
}

function checkInteractive(interactive: Json): void {
  if (length(interactive?.body?.text) < 1 || length(interactive.body.text) > 1024) throw invalidParameter('Body text length invalid: 1 to 1024');
  if (interactive.type === 'button') return checkButtons(interactive);
  if (interactive.type === 'list') return checkList(interactive);
  throw invalidParameter(`Interactive type ${String(interactive.type)} is not supported by the stand-in`);
}

/** The message shape is valid: throws Meta's error otherwise. Templates and the window are the caller's checks. */
export function checkMessage(body: Json): void {
  if (body.messaging_product !== 'whatsapp') throw invalidParameter('messaging_product must be whatsapp');
  if (typeof body.to !== 'string' || !/^\+?\d{5,20}$/.test(body.to)) throw invalidParameter('to is not a valid phone number');
  if (body.type === 'text') {
    if (length(body.text?.body) < 1 || length(body.text.body) > 4096) throw invalidParameter('Text body length invalid: 1 to 4096');
  } else if (body.type === 'image') {
    if (typeof body.image?.link !== 'string' || !/^https?:\/\//.test(body.image.link)) throw invalidParameter('image.link must be an http(s) URL');
    if (body.image.caption !== undefined && length(body.image.caption) > 1024) throw invalidParameter('Caption length invalid: at most 1024');
  } else if (body.type === 'interactive') {
    checkInteractive(body.interactive);
  } else if (body.type !== 'template') {
    throw invalidParameter(`Message type ${String(body.type)} is not supported by the stand-in`);
  }
}

/** Template parameters must not hold newlines, tabs or more than 4 consecutive spaces (132018). */
export function checkTemplateParameters(parameters: Json[], expected: number): void {
  if (parameters.length !== expected) throw new GraphError(400, 132000, 'Number of parameters does not match the expected number of params', `expected ${expected}, got ${parameters.length}`);
  if (parameters.some((p) => typeof p.text !== 'string' || /[\n\t]| {5,}/.test(p.text))) throw new GraphError(400, 132018, 'There was an issue with the parameters in your template', 'Param text cannot have new-line/tab characters or more than 4 consecutive spaces');
}
