/**
 * Runs this package's nodes inside n8n's own engine (n8n-core from the real n8n install): the package
 * is loaded by n8n-core's PackageDirectoryLoader from its built dist, workflows run through
 * WorkflowExecute, webhooks through WebhookContext, lifecycles through HookContext, list loading
 * through LoadOptionsContext. Only what the n8n server adds around the engine (credential storage,
 * persistence, HTTP routing) is provided here.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  ICredentialDataDecryptedObject,
  IDataObject,
  INode,
  INodeParameters,
  INodeExecutionData,
  IRun,
  IWorkflowExecuteAdditionalData,
  IConnections,
} from 'n8n-workflow';
import { buildPackage } from './package-build';
import { requireFromN8n } from './n8n-runtime';

process.env.N8N_USER_FOLDER ??= fs.mkdtempSync(path.join(os.tmpdir(), 'metabot-n8n-user-'));
process.env.N8N_DIAGNOSTICS_ENABLED = 'false';

const core = requireFromN8n('n8n-core');
const workflowLib = requireFromN8n('n8n-workflow');

export const PACKAGE_NAME = 'n8n-nodes-metabot';
const WAITING_BASE_URL = 'http://n8n.test/webhook-waiting';
const WEBHOOK_BASE_URL = 'http://n8n.test/webhook';

export type Credentials = ICredentialDataDecryptedObject;

export interface RunResult {
  run: IRun;
  /** Output items of a node (first run, first output). */
  output(nodeName: string): INodeExecutionData[];
  error(nodeName: string): (Error & { description?: string; httpCode?: string }) | undefined;
}

/** A workflow node as tests write it: name, type (short names are this package's) and parameters. */
export interface NodeSpec {
  name: string;
  type: string;
  parameters: Record<string, unknown>;
  [field: string]: unknown;
}

export class N8nEngine {
  private constructor(
    private readonly loader: any,
    private readonly credentials: Credentials,
    private readonly webhookBaseUrl: string,
  ) {}

  /** `webhookBaseUrl`: where production webhooks are reachable (a real server when events must arrive). */
  static async load(credentials: Credentials, options: { webhookBaseUrl?: string } = {}): Promise<N8nEngine> {
    const loader = new core.PackageDirectoryLoader(buildPackage());
    await loader.loadAll();
    return new N8nEngine(loader, credentials, options.webhookBaseUrl ?? WEBHOOK_BASE_URL);
  }

  /** The package's node type descriptions and credentials as n8n loaded them. */
  get loaded(): { nodes: string[]; credentials: string[]; descriptions: any[] } {
    return {
      nodes: Object.keys(this.loader.nodeTypes),
      credentials: Object.keys(this.loader.credentialTypes),
      descriptions: this.loader.types.nodes,
    };
  }

  nodeType(type: string): any {
    return this.loader.getNode(type.replace(`${PACKAGE_NAME}.`, '')).type;
  }

  credentialType(name: string): any {
    return this.loader.getCredential(name).type;
  }

  private readonly nodeTypes = {
    getByName: (type: string) => this.nodeType(type),
    getByNameAndVersion: (type: string, version?: number) => workflowLib.NodeHelpers.getVersionedNodeType(this.nodeType(type), version),
    getKnownTypes: () => ({}),
  };

  private credentialsHelper(): any {
    const engine = this;
    class TestCredentialsHelper extends workflowLib.ICredentialsHelper {
      getParentTypes() {
        return [];
      }
      isCredentialUsableByNode() {
        return true;
      }
      /** n8n's generic authentication: resolve each expression against $credentials and merge it in. */
      async authenticate(credentials: Credentials, typeName: string, requestOptions: any, workflow: any, node: INode) {
        const authenticate = engine.credentialType(typeName).authenticate;
        if (typeof authenticate === 'function') return await authenticate(credentials, requestOptions);
        if (!authenticate || authenticate.type !== 'generic') return requestOptions;
        for (const target of ['headers', 'qs', 'body'] as const) {
          for (const [key, value] of Object.entries(authenticate.properties[target] ?? {})) {
            requestOptions[target] ??= {};
            requestOptions[target][key] = workflow.expression.getSimpleParameterValue(node, value, 'internal', { $credentials: credentials }, undefined, '');
          }
        }
        return requestOptions;
      }
      async preAuthentication() {
        return undefined;
      }
      async runPreAuthentication() {
        return undefined;
      }
      async getCredentials() {
        return new core.Credentials({ id: null, name: '' }, '', '');
      }
      async getDecrypted(_additionalData: unknown, _nodeCredentials: unknown, type: string) {
        if (type !== 'metabotApi') throw new Error(`No test credentials of type ${type}`);
        return engine.credentials;
      }
      async updateCredentials() {}
      async updateCredentialsOauthTokenData() {}
      getCredentialsProperties(type: string) {
        return engine.credentialType(type).properties;
      }
    }
    return new TestCredentialsHelper();
  }

  workflow(nodes: NodeSpec[], connections: IConnections = {}, staticData: IDataObject = {}): any {
    return new workflowLib.Workflow({
      id: 'wf-test',
      name: 'Metabot test',
      nodes: nodes.map((node, index) => ({
        id: `node-${index}`,
        position: [index * 200, 0],
        typeVersion: 1,
        credentials: { metabotApi: { id: 'cred-1', name: 'Metabot test' } },
        ...node,
        type: node.type.includes('.') ? node.type : `${PACKAGE_NAME}.${node.type}`,
      })),
      connections,
      nodeTypes: this.nodeTypes,
      staticData,
      active: false,
      settings: { executionOrder: 'v1' },
    });
  }

  additionalData(extra: Partial<IWorkflowExecuteAdditionalData> = {}): IWorkflowExecuteAdditionalData {
    return {
      credentialsHelper: this.credentialsHelper(),
      executionId: 'exec-1',
      currentNodeExecutionIndex: 0,
      restApiUrl: 'http://n8n.test/rest',
      instanceBaseUrl: 'http://n8n.test/',
      formBaseUrl: 'http://n8n.test/form',
      formWaitingBaseUrl: 'http://n8n.test/form-waiting',
      formTestBaseUrl: 'http://n8n.test/form-test',
      webhookBaseUrl: this.webhookBaseUrl,
      webhookWaitingBaseUrl: WAITING_BASE_URL,
      webhookTestBaseUrl: 'http://n8n.test/webhook-test',
      mcpBaseUrl: 'http://n8n.test/mcp',
      mcpTestBaseUrl: 'http://n8n.test/mcp-test',
      variables: {},
      async getRunExecutionData() {
        return undefined;
      },
      async getRuntimeCredential() {
        return undefined;
      },
      async executeWorkflow() {
        throw new Error('sub-workflows are not part of these tests');
      },
      ...extra,
    } as IWorkflowExecuteAdditionalData;
  }

  /**
   * Runs a workflow whose first node receives `input` items (as if a trigger produced them), like
   * n8n's own node test harness does.
   */
  async run(nodes: NodeSpec[], options: { connections?: IConnections; input?: Array<Record<string, unknown>>; resumeToken?: string } = {}): Promise<RunResult> {
    const workflow = this.workflow(nodes, options.connections ?? chain(nodes.map((n) => n.name)));
    const hooks = new core.ExecutionLifecycleHooks('manual', 'exec-1', { id: 'wf-test', name: 'Metabot test', nodes: [], connections: {}, active: false });
    const finished = new Promise<IRun>((resolve) => hooks.addHandler('workflowExecuteAfter', (run: IRun) => resolve(run)));
    const additionalData = this.additionalData({ hooks } as Partial<IWorkflowExecuteAdditionalData>);
    const runExecutionData = workflowLib.createRunExecutionData({
      resumeToken: options.resumeToken,
      executionData: {
        nodeExecutionStack: [
          {
            node: workflow.getNode(nodes[0].name),
            data: { main: [(options.input ?? [{}]).map((json) => ({ json }))] },
            source: null,
          },
        ],
      },
    });
    const execute = new core.WorkflowExecute(additionalData, 'manual', runExecutionData);
    await execute.processRunExecutionData(workflow);
    const run = await finished;
    return {
      run,
      output: (nodeName) => run.data.resultData.runData[nodeName]?.[0]?.data?.main?.[0] ?? [],
      error: (nodeName) => run.data.resultData.runData[nodeName]?.[0]?.error as RunResult['error'] extends (n: string) => infer E ? E : never,
    };
  }

  /** A node's list-loading method, called the way the editor's dynamic parameters do. */
  async loadOptions(node: NodeSpec, method: string): Promise<Array<{ name: string; value: string; description?: string }>> {
    const workflow = this.workflow([node]);
    // The editor sends the node's current parameters along; n8n puts them on additionalData.
    const additionalData = this.additionalData({ currentNodeParameters: node.parameters as INodeParameters });
    const context = new core.LoadOptionsContext(workflow, workflow.getNode(node.name), additionalData, `parameters.${method}`);
    const nodeType = this.nodeType(node.type);
    return await nodeType.methods.loadOptions[method].call(context);
  }

  /** Runs one webhook lifecycle method (checkExists, create, delete) on activation/deactivation. */
  async webhookLifecycle(workflow: any, nodeName: string, method: 'checkExists' | 'create' | 'delete'): Promise<boolean> {
    const node = workflow.getNode(nodeName);
    const context = new core.HookContext(workflow, node, this.additionalData(), 'trigger', 'activate', this.webhookData(workflow, node));
    return await this.nodeType(node.type).webhookMethods.default[method].call(context);
  }

  webhookUrl(workflow: any, nodeName: string): string {
    const node = workflow.getNode(nodeName);
    return `${this.webhookBaseUrl}/${this.webhookData(workflow, node).path}`;
  }

  /** What n8n's WebhookService builds for a node's (first) webhook description. */
  private webhookData(workflow: any, node: INode): any {
    const [description] = this.nodeType(node.type).description.webhooks;
    return {
      httpMethod: description.httpMethod,
      node: node.name,
      path: workflowLib.NodeHelpers.getNodeWebhookPath(workflow.id, node, description.path, description.isFullPath, description.restartWebhook),
      webhookDescription: description,
      workflowId: workflow.id,
      workflowExecuteAdditionalData: this.additionalData(),
      webhookId: node.webhookId,
    };
  }

  /**
   * Hands a real HTTP request (body already read into rawBody and parsed, as n8n's body parser
   * does) to the node's webhook method; writes n8n's default answer when the node leaves it to n8n.
   */
  async webhook(workflow: any, nodeName: string, req: IncomingMessage & { rawBody: Buffer; body: unknown }, res: ServerResponse & { status(code: number): any; json(body: unknown): any }, runExecutionData: unknown = null): Promise<any> {
    const node = workflow.getNode(nodeName);
    const additionalData = this.additionalData({ httpRequest: req, httpResponse: res } as unknown as Partial<IWorkflowExecuteAdditionalData>);
    const webhookData = this.webhookData(workflow, node);
    const context = new core.WebhookContext(workflow, node, additionalData, 'trigger', webhookData, [], runExecutionData);
    const result = await this.nodeType(node.type).webhook.call(context);
    if (!result.noWebhookResponse && !res.headersSent) res.status(200).json(result.webhookResponse ?? { message: 'Workflow was started' });
    return result;
  }
}

/** Connects the nodes one after the other. */
export function chain(names: string[]): IConnections {
  const connections: IConnections = {};
  for (let i = 0; i < names.length - 1; i++) {
    connections[names[i]] = { main: [[{ node: names[i + 1], type: 'main', index: 0 }]] };
  }
  return connections;
}
