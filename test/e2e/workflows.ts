/** Workflows and the credential the end-to-end suite imports into n8n (the package is installed as a community package, so node types are n8n-nodes-metabot.*). */
export const CREDENTIAL_ID = 'metabotE2eCred01';

export function metabotCredential(serverUrl: string, botId: number, token: string) {
  return { id: CREDENTIAL_ID, name: 'Metabot E2E', type: 'metabotApi', data: { serverUrl, botId, token } };
}

const credentials = { metabotApi: { id: CREDENTIAL_ID, name: 'Metabot E2E' } };

/** CRM webhook → Call Communication (Endpoint → Call): proves the package runs inside n8n. */
export function crmCallWorkflow() {
  return {
    id: 'wfCrmCall0000001',
    name: 'CRM webhook calls a Metabot endpoint',
    active: true,
    settings: { executionOrder: 'v1' },
    connections: { 'CRM Webhook': { main: [[{ node: 'Call Endpoint', type: 'main', index: 0 }]] } },
    nodes: [
      {
        id: 'n1',
        name: 'CRM Webhook',
        type: 'n8n-nodes-base.webhook',
        typeVersion: 2,
        position: [0, 0],
        webhookId: 'crm-call-hook',
        parameters: { httpMethod: 'POST', path: 'crm-call', responseMode: 'lastNode', options: {} },
      },
      {
        id: 'n2',
        name: 'Call Endpoint',
        type: 'n8n-nodes-metabot.callCommunication',
        typeVersion: 1,
        position: [200, 0],
        credentials,
        parameters: {
          resource: 'endpoint',
          operation: 'call',
          alias: 'users/connect-bot',
          paramsMode: 'fields',
          paramsFields: { assignments: [{ id: 'a1', name: 'userId', type: 'number', value: '={{ $json.body.userId }}' }] },
          options: { traceId: '={{ $json.body.traceId }}' },
        },
      },
    ],
  };
}

/**
 * Metabot Trigger (endpoint.called on users/update) → Call Communication calls users/connect-bot with
 * the same user, continuing the trigger's trace: a CRM call runs through n8n and back.
 */
export function triggerChainWorkflow() {
  return {
    id: 'wfTriggerChain01',
    name: 'Endpoint called → call another endpoint',
    active: true,
    settings: { executionOrder: 'v1' },
    connections: { 'Metabot Trigger': { main: [[{ node: 'Connect Bot', type: 'main', index: 0 }]] } },
    nodes: [
      {
        id: 't1',
        name: 'Metabot Trigger',
        type: 'n8n-nodes-metabot.metabotTrigger',
        typeVersion: 2,
        position: [0, 0],
        webhookId: 'metabot-trigger-chain',
        credentials,
        parameters: { events: ['endpoint.called'], aliases: ['users/update'] },
      },
      {
        id: 't2',
        name: 'Connect Bot',
        type: 'n8n-nodes-metabot.callCommunication',
        typeVersion: 1,
        position: [200, 0],
        credentials,
        parameters: {
          resource: 'endpoint',
          operation: 'call',
          alias: 'users/connect-bot',
          paramsMode: 'json',
          paramsJson: '={{ JSON.stringify({ userId: $json.params.userId }) }}',
          options: { traceId: '={{ $json.trace_id }}' },
        },
      },
    ],
  };
}

function crmCallbackNode(crmUrl: string, position: [number, number]) {
  return {
    id: `crm-${position[0]}`,
    name: 'Tell CRM',
    type: 'n8n-nodes-base.httpRequest',
    typeVersion: 4.2,
    position,
    parameters: {
      method: 'POST',
      url: `${crmUrl}/rating`,
      sendBody: true,
      specifyBody: 'json',
      jsonBody: '={{ JSON.stringify({ userId: $json.userId, status: $json.status, rating: $json.buttonData, trace: $json.trace_id }) }}',
      options: {},
    },
  };
}

function askNode(fields: { recipients: string; params: string; traceId?: string }, position: [number, number]) {
  return {
    id: `ask-${position[0]}`,
    name: 'Ask Rating',
    type: 'n8n-nodes-metabot.callCommunication',
    typeVersion: 1,
    position,
    credentials,
    parameters: {
      resource: 'message',
      operation: 'sendAndWait',
      recipientType: 'userIds',
      recipients: fields.recipients,
      text: 'Thank you for order {{ params.orderId }}, {{ lead.firstName }}! How was it?',
      responseType: 'buttons',
      buttons: { button: [{ text: 'Great', type: 'data', value: 'rate:5' }, { text: 'Bad', type: 'data', value: 'rate:1', sameRow: true }] },
      timeoutMinutes: 10,
      options: { params: fields.params, ...(fields.traceId ? { traceId: fields.traceId } : {}) },
    },
  };
}

/** A trigger node → Send and Wait with rating buttons → HTTP Request telling the CRM the answer. */
function askAndTellCrmWorkflow(meta: { id: string; name: string }, trigger: { name: string } & Record<string, unknown>, ask: Parameters<typeof askNode>[0], crmUrl: string) {
  return {
    ...meta,
    active: true,
    settings: { executionOrder: 'v1' },
    connections: {
      [trigger.name]: { main: [[{ node: 'Ask Rating', type: 'main', index: 0 }]] },
      'Ask Rating': { main: [[{ node: 'Tell CRM', type: 'main', index: 0 }]] },
    },
    nodes: [trigger, askNode(ask, [200, 0]), crmCallbackNode(crmUrl, [400, 0])],
  };
}

/** CRM webhook → Send and Wait → HTTP Request to the CRM: the waiting execution and its resume URL. */
export function askFromWebhookWorkflow(crmUrl: string) {
  const webhook = {
    id: 'h1',
    name: 'CRM Webhook',
    type: 'n8n-nodes-base.webhook',
    typeVersion: 2,
    position: [0, 0],
    webhookId: 'crm-ask-hook',
    parameters: { httpMethod: 'POST', path: 'crm-ask', responseMode: 'onReceived', options: {} },
  };
  const ask = { recipients: '={{ $json.body.userId }}', params: '={{ JSON.stringify($json.body.params) }}' };
  return askAndTellCrmWorkflow({ id: 'wfAskFromHook01', name: 'CRM webhook asks for a rating and waits' }, webhook, ask, crmUrl);
}

/**
 * The scenario of issue 6: a CRM calls order/thank-you → Metabot Trigger → Send and Wait with
 * buttons → the user taps one in Telegram → the execution resumes → HTTP Request to the CRM.
 */
export function thankYouWorkflow(crmUrl: string) {
  const trigger = {
    id: 'o1',
    name: 'Order Paid',
    type: 'n8n-nodes-metabot.metabotTrigger',
    typeVersion: 1,
    position: [0, 0],
    webhookId: 'metabot-order-thank-you',
    credentials,
    parameters: { events: ['endpoint.called'], aliases: ['order/thank-you'] },
  };
  const ask = { recipients: '={{ $json.userId }}', params: '={{ JSON.stringify($json.params) }}', traceId: '={{ $json.trace_id }}' };
  return askAndTellCrmWorkflow({ id: 'wfThankYou00001', name: 'Order thank-you with rating' }, trigger, ask, crmUrl);
}

/** An endpoint whose answer the workflow decides (20 s to answer, "Accepted" as the fallback). */
export const answeringEndpoint = (alias: string) => ({
  alias,
  purpose: `Check ${alias}`,
  owner: 'Family site team',
  params: { type: 'object', required: ['postId'], properties: { postId: { type: 'integer' } } },
  answer: 'workflow',
  answerTimeoutMs: 20_000,
  fallback: { success: true, message: 'Accepted' },
});
/** A Metabot Trigger on endpoint.called of one alias that responds "Using 'Answer Call' Operation". */
export function answeringTrigger(alias: string, webhookId: string) {
  return {
    id: `${webhookId}-t`,
    name: 'Metabot Trigger',
    type: 'n8n-nodes-metabot.metabotTrigger',
    typeVersion: 2,
    position: [0, 0],
    webhookId,
    credentials,
    parameters: { events: ['endpoint.called'], aliases: [alias], responseMode: 'responseNode' },
  };
}

const answerCall = (name: string, success: boolean, message: string, extra: Array<{ name: string; value: string; type: string }> = []) => ({
  id: name,
  name,
  type: 'n8n-nodes-metabot.callCommunication',
  typeVersion: 1,
  position: [400, success ? -100 : 100],
  credentials,
  parameters: {
    resource: 'endpoint',
    operation: 'answer',
    answerSuccess: success,
    answerMessage: message,
    answerDataMode: 'fields',
    answerDataFields: { assignments: extra.map((field, i) => ({ id: `f${i}`, ...field })) },
  },
});

/** Trigger → If postId is 42 → Answer Call "found" (with the title), else Answer Call "Пост не найден". */
export function answerCallWorkflow() {
  return {
    id: 'wfAnswerCall0001',
    name: 'post/new answers from the workflow',
    active: true,
    settings: { executionOrder: 'v1' },
    connections: {
      'Metabot Trigger': { main: [[{ node: 'Known post?', type: 'main', index: 0 }]] },
      'Known post?': { main: [[{ node: 'Found', type: 'main', index: 0 }], [{ node: 'Not found', type: 'main', index: 0 }]] },
    },
    nodes: [
      answeringTrigger('post/new', 'answer-call-trigger'),
      {
        id: 'if1',
        name: 'Known post?',
        type: 'n8n-nodes-base.if',
        typeVersion: 2.2,
        position: [200, 0],
        parameters: {
          conditions: {
            options: { caseSensitive: true, leftValue: '', typeValidation: 'loose', version: 2 },
            conditions: [{ id: 'c1', leftValue: '={{ $json.params.postId }}', rightValue: 42, operator: { type: 'number', operation: 'equals' } }],
            combinator: 'and',
          },
          options: {},
        },
      },
      answerCall('Found', true, 'Found', [{ name: 'title', value: 'Summer at the lake', type: 'string' }]),
      answerCall('Not found', false, 'Пост не найден'),
    ],
  };
}
