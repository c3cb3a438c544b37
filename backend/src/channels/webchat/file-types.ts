/**
 * What a file is, read from its first bytes (magic numbers), never from its name or a declared
 * type: a page renamed `cat.png` is still a page, and is refused. The table holds only the types
 * the web chat shows inline or accepts from visitors; anything else is "unknown", which the chat
 * serves as a download (application/octet-stream, attachment) and a visitor may not upload.
 */
export type FileFamily = 'image' | 'video' | 'audio' | 'document';

export interface DetectedType {
  mime: string;
  family: FileFamily;
}

interface Signature extends DetectedType {
  /** Bytes at `offset`; `null` matches any byte. */
  bytes: Array<number | null>;
  offset?: number;
}

const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));
const any = (n: number) => Array.from({ length: n }, () => null);

const signatures: Signature[] = [
  { mime: 'image/png', family: 'image', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { mime: 'image/jpeg', family: 'image', bytes: [0xff, 0xd8, 0xff] },
  { mime: 'image/gif', family: 'image', bytes: ascii('GIF87a') },
  { mime: 'image/gif', family: 'image', bytes: ascii('GIF89a') },
  { mime: 'image/webp', family: 'image', bytes: [...ascii('RIFF'), ...any(4), ...ascii('WEBP')] },
  { mime: 'application/pdf', family: 'document', bytes: ascii('%PDF-') },
  { mime: 'video/mp4', family: 'video', bytes: ascii('ftyp'), offset: 4 },
  { mime: 'video/webm', family: 'video', bytes: [0x1a, 0x45, 0xdf, 0xa3] },
  { mime: 'audio/ogg', family: 'audio', bytes: ascii('OggS') },
  { mime: 'audio/mpeg', family: 'audio', bytes: ascii('ID3') },
  { mime: 'audio/mpeg', family: 'audio', bytes: [0xff, 0xfb] },
  { mime: 'audio/wav', family: 'audio', bytes: [...ascii('RIFF'), ...any(4), ...ascii('WAVE')] },
];

export function detectFileType(bytes: Uint8Array): DetectedType | undefined {
  const found = signatures.find(({ bytes: expected, offset = 0 }) => bytes.length >= offset + expected.length && expected.every((b, i) => b === null || bytes[offset + i] === b));
  return found && { mime: found.mime, family: found.family };
}

/** What a visitor may send: pictures (shown as photos) and PDF documents. */
export const VISITOR_UPLOAD_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf'] as const;

export function visitorUploadType(bytes: Uint8Array): DetectedType | undefined {
  const detected = detectFileType(bytes);
  return detected && (VISITOR_UPLOAD_TYPES as readonly string[]).includes(detected.mime) ? detected : undefined;
}

/** The file name as a Content-Disposition header may carry it (ASCII, no quotes), and its UTF-8 form. */
export function contentDisposition(kind: 'inline' | 'attachment', fileName: string): string {
  const ascii = fileName.replace(/[^\w.-]/g, '_').slice(0, 120) || 'file';
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}
