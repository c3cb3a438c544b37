import http from 'node:http';
import https from 'node:https';
import { z } from 'zod';
import type { Config } from '../../platform/config/config';
import { guardedLookup, privateAllowedFor, TargetNotAllowedError, targetUrlProblem } from '../../platform/http/outbound-target';
import { callVk, type VkTarget, VkUnreachable } from './vk-api';

/**
 * A picture for a VK message goes through VK's upload flow (dev.vk.com/ru/api/upload/photo-in-message):
 * photos.getMessagesUploadServer → the file POSTed as multipart `photo` to the upload URL →
 * photos.saveMessagesPhoto → attachment `photo<owner_id>_<id>`. The image is fetched from the
 * message's imageUrl like any URL a token holder chose (platform/http/outbound-target.ts); the
 * upload URL must be VK's.
 */

const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
/** Where VK's upload and Long Poll servers live, beside the API root's own host. */
const VK_DOMAINS: readonly string[] = ['vk.com', 'vk.ru', 'userapi.com', 'vkuser.net', 'vk-cdn.net'];

/** A photo that cannot be sent (the image is not allowed, too big, not an image): the send fails with this reason. */
export class PhotoRefused extends Error {}

type VkHostConfig = Pick<Config, 'VK_API_ROOT'>;

/** Is this a URL VK gave us (its upload or Long Poll server)? The API root's host, or https on VK's domains. */
export function isVkServer(url: string, config: VkHostConfig): boolean {
  if (!URL.canParse(url)) return false;
  const target = new URL(url);
  if (target.host === new URL(config.VK_API_ROOT).host) return true;
  return target.protocol === 'https:' && VK_DOMAINS.some((domain) => target.hostname === domain || target.hostname.endsWith(`.${domain}`));
}

/** GETs the image from an allowed address only (every resolved address checked as the socket connects), no redirects, at most 10 MB. */
export function downloadImage(imageUrl: string, config: Pick<Config, 'WEBHOOK_ALLOW_PRIVATE' | 'WEBHOOK_ALLOWED_HOSTS'>): Promise<{ bytes: Buffer; type: string }> {
  const url = new URL(imageUrl);
  const problem = targetUrlProblem(url, config);
  if (problem) return Promise.reject(new PhotoRefused(`image URL ${problem}`));
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.get(url, { lookup: guardedLookup(privateAllowedFor(url, config)), signal: AbortSignal.timeout(15_000) }, (response) => {
      const type = String(response.headers['content-type'] ?? '');
      if (response.statusCode !== 200 || !type.startsWith('image/')) {
        response.resume();
        return reject(new PhotoRefused(`image URL answered ${response.statusCode} ${type || 'without a content type'}`));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_IMAGE_BYTES) request.destroy(new PhotoRefused('image larger than 10 MB'));
        else chunks.push(chunk);
      });
      response.on('end', () => resolve({ bytes: Buffer.concat(chunks), type }));
      response.on('error', reject);
    });
    request.on('error', (error) => reject(error instanceof TargetNotAllowedError ? new PhotoRefused('image URL resolves to an address that is not allowed') : error));
  });
}

const uploadServerSchema = z.object({ upload_url: z.string() });
const uploadedSchema = z.object({ server: z.union([z.number(), z.string()]), photo: z.string().min(3), hash: z.string() });
const savedSchema = z.array(z.object({ id: z.number(), owner_id: z.number(), access_key: z.string().optional() })).min(1);

/** Uploads the image into the community's message photos; answers the attachment string. */
export async function uploadMessagePhoto(target: VkTarget, peerId: string, imageUrl: string, config: Config): Promise<string> {
  const image = await downloadImage(imageUrl, config);
  const server = uploadServerSchema.parse(await callVk(target, 'photos.getMessagesUploadServer', { peer_id: peerId, group_id: target.groupId }));
  if (!isVkServer(server.upload_url, config)) throw new PhotoRefused('VK named an upload server outside its domains');
  const form = new FormData();
  form.set('photo', new Blob([new Uint8Array(image.bytes)], { type: image.type }), `photo.${image.type.split('/')[1] ?? 'jpg'}`);
  let uploaded: z.infer<typeof uploadedSchema>;
  try {
    const response = await fetch(server.upload_url, { method: 'POST', body: form, redirect: 'error', signal: AbortSignal.timeout(60_000) });
    uploaded = uploadedSchema.parse(await response.json());
  } catch (error) {
    throw new VkUnreachable(`photo upload: ${(error as Error).message}`);
  }
  const [photo] = savedSchema.parse(await callVk(target, 'photos.saveMessagesPhoto', { server: uploaded.server, photo: uploaded.photo, hash: uploaded.hash }));
  return `photo${photo.owner_id}_${photo.id}${photo.access_key ? `_${photo.access_key}` : ''}`;
}
