import crypto from 'node:crypto';
import os from 'node:os';
import type { InboundContext } from '../../inbound/hooks';
import type { Config } from '../../platform/config/config';
import { VkProfiles } from './profiles';
import { VkPacer } from './vk-api';

/** The background loop that keeps this process's Long Poll readers in line with the stored communities (workers.ts). */
export const VK_LOOP = 'vk';

export interface VkPoller {
  version: number;
  abort: AbortController;
  done: Promise<void>;
  running: boolean;
}

/** Photos uploaded once per community and image URL: a broadcast with one picture uploads it once, not per person. */
const PHOTO_CACHE_SIZE = 500;

/** This process's VK state: the per-token pacer, people's names, the uploaded photos and the Long Poll readers. */
export class VkRuntime {
  readonly owner = `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;
  readonly pacer: VkPacer;
  readonly profiles = new VkProfiles();
  readonly pollers = new Map<number, VkPoller>();
  /** botId → account version whose short name was looked up. */
  readonly identified = new Map<number, number>();
  private readonly photos = new Map<string, Promise<string>>();

  constructor(config: Pick<Config, 'VK_RATE_PER_SECOND'>) {
    this.pacer = new VkPacer(config.VK_RATE_PER_SECOND);
  }

  /** The attachment for this image in this community, uploaded by `upload` the first time (a failed upload is not kept). */
  photo(groupId: number, imageUrl: string, upload: () => Promise<string>): Promise<string> {
    const key = `${groupId} ${imageUrl}`;
    const cached = this.photos.get(key);
    if (cached) return cached;
    if (this.photos.size >= PHOTO_CACHE_SIZE) this.photos.delete(this.photos.keys().next().value!);
    const pending = upload();
    this.photos.set(key, pending);
    pending.catch(() => this.photos.delete(key));
    return pending;
  }
}

/** What the VK channel needs: the inbound pipeline for updates, and this process's VK state. */
export interface VkContext extends InboundContext {
  vk: VkRuntime;
}
