import { z } from 'zod';
import type { Profile } from '../inbound-update';
import { callVk, type VkTarget } from './vk-api';

/**
 * VK's events name the person by id only; their name comes from users.get (first_name, last_name,
 * screen_name), asked once per person and process for an hour — a template's `lead.firstName`
 * then works as on Telegram. A failed lookup leaves the profile as it was.
 */

const PROFILE_TTL_MS = 3_600_000;
const MAX_PROFILES = 10_000;

const usersSchema = z.array(z.object({ id: z.number(), first_name: z.string().optional(), last_name: z.string().optional(), screen_name: z.string().optional() }));

export class VkProfiles {
  private readonly known = new Map<string, { profile: Profile; at: number }>();

  async of(target: VkTarget, userId: number): Promise<Profile> {
    const key = `${target.groupId}:${userId}`;
    const cached = this.known.get(key);
    if (cached && Date.now() - cached.at < PROFILE_TTL_MS) return cached.profile;
    const [user] = usersSchema.parse(await callVk(target, 'users.get', { user_ids: userId, fields: 'screen_name' }));
    const profile: Profile = {
      ...(user?.first_name ? { firstName: user.first_name.slice(0, 200) } : {}),
      ...(user?.last_name ? { lastName: user.last_name.slice(0, 200) } : {}),
      ...(user?.screen_name ? { username: user.screen_name.slice(0, 200) } : {}),
    };
    if (this.known.size >= MAX_PROFILES) this.known.delete(this.known.keys().next().value!);
    this.known.set(key, { profile, at: Date.now() });
    return profile;
  }
}
