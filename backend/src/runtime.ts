import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { countAnswers } from './analytics/answers';
import { topicChatCommands } from './audiences/chat-commands';
import { CommunicationLabels } from './analytics/communication-metrics';
import { countWebhookOutcomes } from './analytics/outcomes';
import { type AnalyticsContext, rollUpEvents } from './analytics/rollup';
import { createChannelRegistry } from './channels/registry';
import { TelegramPollers, type TelegramContext } from './channels/telegram/runtime';
import { queueStaffPosts } from './channels/telegram/staff-posts';
import { VkRuntime, type VkContext } from './channels/vk/vk-runtime';
import { type ConsoleContext, DeskStreams } from './console/desk-streams';
import { VisitorHub, type WebchatContext } from './channels/webchat/hub';
import { WebchatLimits } from './channels/webchat/limits';
import { DeliveryEngine, type DeliveryContext } from './delivery/engine';
import { AnsweringDeliveries, type AnswersContext } from './events/answering-delivery';
import type { EventsContext } from './events/fanout';
import { CallAnswerWaiters } from './events/call-answer-waiters';
import type { IntegrationContext } from './integration/call-endpoint';
import { CompiledMaps, type MapsContext } from './maps/maps';
import type { AppContext } from './platform/context';
import { createApiRegistry } from './platform/openapi/registry';
import { resumeWaitingExecution } from './waits/answers';
import { registerWaits } from './waits/registration';

/**
 * Everything this process holds, in one explicit object built once per server (tests start several
 * in one process): the platform, the inbound hooks, the fan-out and delivery observers (analytics
 * among them), the alias labels of the per-communication metrics, the channel registry,
 * the web chat's connections and rate limits, the console desk's event streams, the Telegram pollers, VK's pacer and Long Poll readers, the delivery engine, the
 * compiled maps, the OpenAPI registry, the answering deliveries in flight and the calls waiting
 * for their answer.
 * Capabilities take the part they need through their own context types; none imports this file.
 */
export interface Runtime extends DeliveryContext, EventsContext, AnswersContext, IntegrationContext, MapsContext, TelegramContext, WebchatContext, AnalyticsContext, VkContext, ConsoleContext {
  docs: OpenAPIRegistry;
}

export function createRuntime(platform: AppContext): Runtime {
  // Each step adds to the same object, so a later change (the public URL once the port is known)
  // is seen by every part that holds it.
  const analytics = { communicationLabels: new CommunicationLabels() };
  const base = Object.assign(platform, {
    ...analytics,
    // Analytics first: it counts every answer, and send and wait may consume one; a topic command
    // (`/stop news`) is never the answer a wait expects.
    inboundHooks: [countAnswers(analytics), topicChatCommands, resumeWaitingExecution],
    fanoutObservers: [registerWaits, rollUpEvents(analytics), queueStaffPosts(platform)],
    deliveryObservers: [countWebhookOutcomes(analytics)],
    telegram: new TelegramPollers(),
    vk: new VkRuntime(platform.config),
    compiledMaps: new CompiledMaps(),
    docs: createApiRegistry(),
    answering: new AnsweringDeliveries(),
    callAnswers: new CallAnswerWaiters(platform),
    deskStreams: new DeskStreams(platform.config.CONSOLE_STREAMS_PER_SESSION),
  });
  const withHub = Object.assign(base, { webchatHub: new VisitorHub(base), webchatLimits: new WebchatLimits(base.config, base.clock) });
  const withChannels = Object.assign(withHub, { channels: createChannelRegistry(withHub) });
  return Object.assign(withChannels, { delivery: new DeliveryEngine(withChannels) });
}
