// The workflows of the side-by-side bench, as n8n's import format. Every workflow starts with a
// Webhook whose body is `{ entries: [{ chatId, userId, text }] }` (one entry per message to send)
// and a Code node that turns the entries into items; what follows is the variant:
//   A1   Telegram node, one message per item (the naive workflow);
//   A2   Loop Over Items (batches of 30) → Telegram node → Wait 1 s → back to the loop (the
//        workaround n8n's community recommends for Telegram's 30/s);
//   A3   A2 with the Telegram node's Retry On Fail (5 tries, 5 s apart, n8n's longest wait);
//   ours Call Communication (Message → Send) → the backend: one call with every user id for a
//        broadcast of one text, one call per item when every entry is its own message.
// The n8n variants answer the webhook at once (their executions are read from n8n's REST API);
// ours answers with Call Communication's output, which names the backend's message ids.

const ALL_VARIANTS = ['A1', 'A2', 'A3', 'ours'];
const LABELS = {
  A1: 'A1: Telegram node (naive)',
  A2: 'A2: Loop Over Items (30) → Telegram → Wait 1 s',
  A3: 'A3: A2 + Retry On Fail (5 × 5 s)',
  'A3+': 'A3+: A3 with Save execution progress on',
  ours: 'ours: Call Communication → backend',
};

const webhook = (id, responseMode) => ({
  id: `${id}-hook`,
  name: 'Start',
  type: 'n8n-nodes-base.webhook',
  typeVersion: 2,
  position: [0, 0],
  webhookId: `${id}-hook`,
  parameters: { httpMethod: 'POST', path: id, responseMode, options: responseMode === 'lastNode' ? { responseData: 'allEntries' } : {} },
});

const code = (id, jsCode) => ({ id: `${id}-code`, name: 'Recipients', type: 'n8n-nodes-base.code', typeVersion: 2, position: [200, 0], parameters: { jsCode } });

const ONE_ITEM_PER_ENTRY = 'return $json.body.entries.map((entry) => ({ json: entry }));';

function telegramNode(id, credentialId, retry) {
  return {
    id: `${id}-telegram`,
    name: 'Telegram',
    type: 'n8n-nodes-base.telegram',
    typeVersion: 1.2,
    position: [600, 0],
    credentials: { telegramApi: { id: credentialId, name: credentialId } },
    ...(retry ? { retryOnFail: true, maxTries: 5, waitBetweenTries: 5000 } : {}),
    parameters: { resource: 'message', operation: 'sendMessage', chatId: '={{ $json.chatId }}', text: '={{ $json.text }}', additionalFields: { appendAttribution: false } },
  };
}

const main = (targets) => ({ main: targets.map((list) => list.map((name) => ({ node: name, type: 'main', index: 0 }))) });

function workflow(id, nodes, connections, settings = {}) {
  return { id, name: id, active: true, settings: { executionOrder: 'v1', ...settings }, connections, nodes };
}

/** A1: Webhook → Code → Telegram. */
function naive(id, credentialId) {
  const nodes = [webhook(id, 'onReceived'), code(id, ONE_ITEM_PER_ENTRY), telegramNode(id, credentialId, false)];
  return workflow(id, nodes, { Start: main([['Recipients']]), Recipients: main([['Telegram']]) });
}

/** A2 and A3: the loop n8n's community recommends; Loop Over Items' output 0 is "done", output 1 "loop". */
function batched(id, credentialId, retry, settings) {
  const nodes = [
    webhook(id, 'onReceived'),
    code(id, ONE_ITEM_PER_ENTRY),
    { id: `${id}-loop`, name: 'Loop Over Items', type: 'n8n-nodes-base.splitInBatches', typeVersion: 3, position: [400, 0], parameters: { batchSize: 30, options: {} } },
    telegramNode(id, credentialId, retry),
    { id: `${id}-wait`, name: 'Wait', type: 'n8n-nodes-base.wait', typeVersion: 1.1, position: [800, 0], webhookId: `${id}-wait`, parameters: { amount: 1, unit: 'seconds' } },
  ];
  return workflow(id, nodes, {
    Start: main([['Recipients']]),
    Recipients: main([['Loop Over Items']]),
    'Loop Over Items': main([[], ['Telegram']]),
    Telegram: main([['Wait']]),
    Wait: main([['Loop Over Items']]),
  }, settings);
}

function callCommunication(id, credentialId, recipients, text) {
  return {
    id: `${id}-send`,
    name: 'Call Communication',
    type: 'n8n-nodes-metabot.callCommunication',
    typeVersion: 1,
    position: [400, 0],
    credentials: { metabotApi: { id: credentialId, name: credentialId } },
    parameters: { resource: 'message', operation: 'send', recipientType: 'userIds', recipients, text, options: {} },
  };
}

/** ours, a broadcast of one text: one item with every user id, one Call Communication call. */
function oursBroadcast(id, credentialId) {
  const nodes = [
    webhook(id, 'lastNode'),
    code(id, 'return [{ json: { userIds: $json.body.entries.map((e) => e.userId), text: $json.body.entries[0].text } }];'),
    callCommunication(id, credentialId, '={{ $json.userIds }}', '={{ $json.text }}'),
  ];
  return workflow(id, nodes, { Start: main([['Recipients']]), Recipients: main([['Call Communication']]) });
}

/** ours, every entry its own message: one Call Communication call per item. */
function oursEach(id, credentialId) {
  const nodes = [webhook(id, 'lastNode'), code(id, ONE_ITEM_PER_ENTRY), callCommunication(id, credentialId, '={{ [$json.userId] }}', '={{ $json.text }}')];
  return workflow(id, nodes, { Start: main([['Recipients']]), Recipients: main([['Call Communication']]) });
}

/**
 * The workflow of a variant; `each` picks ours' one-call-per-entry form (the n8n variants send per
 * item anyway). A3+ is A3 with the workflow setting "Save execution progress" on, so a crashed
 * execution keeps the state of every node that finished (the restart scenario only).
 */
function variantWorkflow(variant, credentialId, { each = false } = {}) {
  const id = `sbs-${variant.toLowerCase().replace('+', 'p')}${each && variant === 'ours' ? '-each' : ''}`;
  if (variant === 'A1') return naive(id, credentialId);
  if (variant === 'A2') return batched(id, credentialId, false);
  if (variant === 'A3') return batched(id, credentialId, true);
  if (variant === 'A3+') return batched(id, credentialId, true, { saveExecutionProgress: true });
  return each ? oursEach(id, credentialId) : oursBroadcast(id, credentialId);
}

module.exports = { ALL_VARIANTS, LABELS, variantWorkflow };
