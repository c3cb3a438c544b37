import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { type FieldsOrJsonBlock, fieldsOrJson, optionsCollection, showFor, traceIdOption } from '../../../shared/descriptions';
import { readFieldsOrJson } from '../../../shared/parameters';
import { encodePath, metabotApiRequest, optionHeaders } from '../../../shared/transport';

const show = showFor('endpoint', ['call']);

/** The endpoint's script_request_params, as fields or as one JSON object. */
const paramsBlock: FieldsOrJsonBlock = {
	name: 'params',
	label: 'Parameters',
	fieldsDescription: 'The script_request_params the endpoint expects (see its schema in the map)',
	jsonDescription: 'The script_request_params the endpoint expects, as a JSON object',
	modeDescriptions: { fields: 'Name the parameters one by one', json: 'Write all parameters as one JSON object' },
};

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
	...fieldsOrJson(show, paramsBlock),
	optionsCollection(show, [
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
		traceIdOption,
		{
			displayName: 'Trigger Code',
			name: 'triggerCode',
			type: 'string',
			default: '',
			description: 'Optional code passed to the endpoint as trigger_code',
		},
	]),
];

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const alias = this.getNodeParameter('alias', itemIndex) as string;
	const params = readFieldsOrJson.call(this, paramsBlock, itemIndex);
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const body: IDataObject = { script_request_params: params };
	if (options.leadId) body.lead_id = options.leadId;
	if (options.triggerCode) body.trigger_code = options.triggerCode;
	const headers = optionHeaders(this, options, itemIndex);
	return await metabotApiRequest(this, { operation: 'callEndpoint', method: 'POST', path: `/call/${encodePath(alias)}`, body, headers, itemIndex });
}
