import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { assignmentsToObject, parseJsonParameter } from '../../../shared/execute';
import { encodePath, metabotApiRequest } from '../../../shared/transport';

const show = { resource: ['endpoint'], operation: ['call'] };

export const description: INodeProperties[] = [
	{
		displayName: 'Alias Name or ID',
		name: 'alias',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getAliases' },
		required: true,
		default: '',
		description:
			'Endpoint of the bot\'s map to call, e.g. order/thank-you. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		displayOptions: { show },
	},
	{
		displayName: 'Parameters Input',
		name: 'paramsMode',
		type: 'options',
		options: [
			{ name: 'Fields', value: 'fields', description: 'Name the parameters one by one' },
			{ name: 'JSON', value: 'json', description: 'Write all parameters as one JSON object' },
		],
		default: 'fields',
		displayOptions: { show },
	},
	{
		displayName: 'Parameters',
		name: 'paramsFields',
		type: 'assignmentCollection',
		default: {},
		description: 'The script_request_params the endpoint expects (see its schema in the map)',
		displayOptions: { show: { ...show, paramsMode: ['fields'] } },
	},
	{
		displayName: 'Parameters (JSON)',
		name: 'paramsJson',
		type: 'json',
		default: '{}',
		description: 'The script_request_params the endpoint expects, as a JSON object',
		displayOptions: { show: { ...show, paramsMode: ['json'] } },
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show },
		options: [
			{
				displayName: 'Dry Run',
				name: 'dryRun',
				type: 'boolean',
				default: false,
				description: 'Whether to only validate the call without starting anything',
			},
			{
				displayName: 'Idempotency Key',
				name: 'idempotencyKey',
				type: 'string',
				default: '',
				description: 'Calls with the same key run once; repeats get the first answer back',
			},
			{
				displayName: 'Lead ID',
				name: 'leadId',
				type: 'string',
				default: '',
				description: 'Lead the communication is about, when the endpoint works on a lead',
			},
			{
				displayName: 'Trace ID',
				name: 'traceId',
				type: 'string',
				default: '',
				description: 'Continue an existing trace (e.g. the trace_id of the trigger item) instead of starting one',
			},
			{
				displayName: 'Trigger Code',
				name: 'triggerCode',
				type: 'string',
				default: '',
				description: 'Optional code passed to the endpoint as trigger_code',
			},
		],
	},
];

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const alias = this.getNodeParameter('alias', itemIndex) as string;
	const paramsMode = this.getNodeParameter('paramsMode', itemIndex) as string;
	const params =
		paramsMode === 'json'
			? parseJsonParameter(this.getNode(), this.getNodeParameter('paramsJson', itemIndex), 'Parameters (JSON)', itemIndex)
			: assignmentsToObject(this.getNodeParameter('paramsFields', itemIndex, {}));
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const body: IDataObject = { script_request_params: params };
	if (options.leadId) body.lead_id = options.leadId;
	if (options.triggerCode) body.trigger_code = options.triggerCode;
	const headers: Record<string, string> = {};
	if (options.idempotencyKey) headers['Idempotency-Key'] = String(options.idempotencyKey);
	if (options.traceId) headers['X-Trace-Id'] = String(options.traceId);
	if (options.dryRun) headers['X-Dry-Run'] = 'true';
	return await metabotApiRequest.call(this, { method: 'POST', path: `/call/${encodePath(alias)}`, body, headers, itemIndex });
}
