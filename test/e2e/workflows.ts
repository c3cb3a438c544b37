/** Workflows and the credential the end-to-end suite imports into n8n (node types of a custom extension are CUSTOM.*). */
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
        type: 'CUSTOM.callCommunication',
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
