import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { createChannelRegistry } from './channels/registry';
import { TelegramPollers, type TelegramContext } from './channels/telegram/runtime';
import { VisitorHub, type WebchatContext } from './channels/webchat/hub';
import { WebchatLimits } from './channels/webchat/limits';
import { DeliveryEngine, type DeliveryContext } from './delivery/engine';
import type { EventsContext } from './events/fanout';
import { CompiledMaps, type MapsContext } from './maps/maps';
import type { AppContext } from './platform/context';
import { createApiRegistry } from './platform/openapi/registry';
import { resumeWaitingExecution } from './waits/answers';
import { registerWaits } from './waits/registration';

/**
 * Everything this process holds, in one explicit object built once per server (tests start several
 * in one process): the platform, the inbound hooks, the fan-out observers, the channel registry,
 * the web chat's connections and rate limits, the Telegram pollers, the delivery engine, the
 * compiled maps and the OpenAPI registry.
 * Capabilities take the part they need through their own context types; none imports this file.
 */
export interface Runtime extends DeliveryContext, EventsContext, MapsContext, TelegramContext, WebchatContext {
  docs: OpenAPIRegistry;
}

export function createRuntime(platform: AppContext): Runtime {
  // Each step adds to the same object, so a later change (the public URL once the port is known)
  // is seen by every part that holds it.
  const base = Object.assign(platform, {
    inboundHooks: [resumeWaitingExecution],
    fanoutObservers: [registerWaits],
    telegram: new TelegramPollers(),
    compiledMaps: new CompiledMaps(),
    docs: createApiRegistry(),
  });
  const withHub = Object.assign(base, { webchatHub: new VisitorHub(base), webchatLimits: new WebchatLimits(base.config, base.clock) });
  const withChannels = Object.assign(withHub, { channels: createChannelRegistry(withHub) });
  return Object.assign(withChannels, { delivery: new DeliveryEngine(withChannels) });
}
