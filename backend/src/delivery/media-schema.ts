import { z } from 'zod';
import { MESSAGE_LIMITS } from './message-limits';

/**
 * A file a message carries, from one of three sources: an http(s) URL the channel fetches, a file
 * id the channel issued (Telegram's `file_id`, reused without a transfer), or the bytes themselves
 * uploaded with the request (base64; an n8n item's binary property).
 */
export const mediaKinds = ['photo', 'document', 'video', 'audio', 'voice', 'animation'] as const;
export type MediaKind = (typeof mediaKinds)[number];

const httpUrl = z.url({ protocol: /^https?$/ }).max(2048);
const isBase64Char = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47;

/**
 * RFC 4648 base64 without line breaks (`[A-Za-z0-9+/]+` and up to two `=`), checked by a loop: a
 * regular expression over an upload of many megabytes can overflow V8's backtracking stack, which
 * a send once answered with a 500.
 */
export function isBase64(data: string): boolean {
  const end = data.endsWith('==') ? data.length - 2 : data.endsWith('=') ? data.length - 1 : data.length;
  if (end === 0) return false;
  for (let i = 0; i < end; i += 1) if (!isBase64Char(data.charCodeAt(i))) return false;
  return true;
}

const base64 = z.string().min(1).refine(isBase64, 'base64 (RFC 4648 alphabet, no line breaks)');

export const uploadSchema = z.object({
  data: base64.meta({ description: 'The file, base64' }),
  fileName: z.string().trim().min(1).max(MESSAGE_LIMITS.fileName),
  mimeType: z.string().trim().min(3).max(255).regex(/^[\w.+-]+\/[\w.+-]+$/, 'a MIME type such as application/pdf').optional(),
});

const sources = {
  url: httpUrl.optional().meta({ description: 'The channel fetches the file from here (Telegram: up to 5 MB for a photo, 20 MB for other files)' }),
  fileId: z.string().trim().min(1).max(256).optional().meta({ description: "A file id the channel issued (Telegram's file_id, of this bot)" }),
  upload: uploadSchema.optional().meta({ description: 'The bytes, sent with the request (10 MB for a photo, 50 MB for other files); uploaded once, reused for every recipient' }),
};

const oneSource = (m: { url?: string; fileId?: string; upload?: unknown }) => [m.url, m.fileId, m.upload].filter((s) => s !== undefined).length === 1;
const oneSourceMessage = { message: 'give exactly one of url, fileId, upload' };

export const mediaSchema = z
  .object({ kind: z.enum(mediaKinds), ...sources })
  .refine(oneSource, oneSourceMessage)
  .meta({ id: 'MessageMedia', description: 'One file; the message text becomes its caption (at most 1024 characters)' });
export type MediaInput = z.output<typeof mediaSchema>;

export const albumKinds = ['photo', 'video', 'document', 'audio'] as const;

export const albumItemSchema = z
  .object({ kind: z.enum(albumKinds), ...sources, caption: z.string().max(MESSAGE_LIMITS.caption).optional() })
  .refine(oneSource, oneSourceMessage);
export type AlbumItemInput = z.output<typeof albumItemSchema>;

/** Telegram groups photos with videos; documents and audio only with their own kind (sendMediaGroup). */
export const albumSchema = z
  .array(albumItemSchema)
  .min(MESSAGE_LIMITS.albumMin, `an album has at least ${MESSAGE_LIMITS.albumMin} items`)
  .max(MESSAGE_LIMITS.albumMax, `an album has at most ${MESSAGE_LIMITS.albumMax} items`)
  .refine((items) => {
    const kinds = new Set(items.map((i) => (i.kind === 'video' ? 'photo' : i.kind)));
    return kinds.size === 1;
  }, 'an album mixes photos and videos, or holds only documents, or only audio')
  .meta({ id: 'MessageAlbum', description: '2–10 items shown together; the message text is the first item\'s caption' });

export const locationSchema = z
  .object({ latitude: z.number().min(-90).max(90), longitude: z.number().min(-180).max(180) })
  .meta({ id: 'MessageLocation' });

/** A file as a stored message refers to it: the URL or file id as given, or the upload stored at its position (message_files). */
export type StoredSource = { url: string } | { fileId: string } | { upload: { position: number; fileName: string; mimeType?: string; size: number } };
export interface StoredMedia {
  kind: MediaKind;
  source: StoredSource;
}
export interface StoredAlbumItem extends StoredMedia {
  caption?: string;
}

/**
 * An invoice (Telegram's sendInvoice): title 1–32 characters, description 1–255, payload 1–128
 * bytes (comes back with the payment), prices in the currency's smallest unit. Telegram Stars
 * (`XTR`) take exactly one price and no provider token; any other currency needs the payment
 * provider's token (YooKassa, Stripe, … connected in BotFather).
 */
export const invoiceSchema = z
  .object({
    title: z.string().min(1).max(32),
    description: z.string().min(1).max(255),
    payload: z.string().min(1).refine((p) => Buffer.byteLength(p) <= 128, 'at most 128 bytes'),
    currency: z.string().regex(/^[A-Z]{3}$/, 'a three-letter currency code such as XTR (Telegram Stars), RUB or USD'),
    prices: z.array(z.object({ label: z.string().min(1).max(64), amount: z.number().int().positive().meta({ description: 'In the smallest unit (kopecks, cents; whole Stars for XTR)' }) })).min(1).max(10),
    providerToken: z.string().min(1).max(256).optional().meta({ description: 'The payment provider\'s token; none for Telegram Stars' }),
  })
  .refine((i) => i.currency !== 'XTR' || (i.prices.length === 1 && !i.providerToken), { message: 'Telegram Stars (XTR): exactly one price and no providerToken', path: ['prices'] })
  .refine((i) => i.currency === 'XTR' || i.providerToken, { message: 'a currency other than XTR needs providerToken', path: ['providerToken'] })
  .meta({ id: 'MessageInvoice' });
export type InvoiceInput = z.output<typeof invoiceSchema>;
