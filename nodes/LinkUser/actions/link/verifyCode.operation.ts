import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { showFor } from '../../../shared/descriptions';
import { type ApiBody, metabotApiRequest } from '../../../shared/transport';

export const description: INodeProperties[] = [
	{
		displayName: 'Lead ID',
		name: 'leadId',
		type: 'string',
		required: true,
		default: '',
		description: 'The messenger contact (ld_…) that typed the code: linked to the user when the code is right',
		displayOptions: { show: showFor('link', ['verifyCode']) },
	},
	{
		displayName: 'Code',
		name: 'code',
		type: 'string',
		required: true,
		default: '',
		placeholder: '123456',
		description: 'What the person typed (spaces and dashes are ignored)',
		displayOptions: { show: showFor('link', ['verifyCode']) },
	},
];

/** The backend's `errors[0].message` for a failed code starts with the reason (invalid input never does). */
const failedCodeReason = /^(wrong|expired|too_many_attempts|none)\b/;

/**
 * A failed code is an outcome, not an error: the item says `verified: false` and why, so an If node
 * can ask again, start a new code or give up. Bad input and the rest still fail the node.
 */
function failedCode(body: IDataObject): IDataObject | undefined {
	const [first] = Array.isArray(body.errors) ? (body.errors as IDataObject[]) : [];
	const reason = first?.path === 'code' ? failedCodeReason.exec(String(first.message))?.[1] : undefined;
	if (!reason) return undefined;
	return { verified: false, reason, message: body.message, detail: first.message, trace_id: body.trace_id };
}

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const body: ApiBody<'verifyCode'> = {
		userId: String(this.getNodeParameter('userId', itemIndex)),
		leadId: this.getNodeParameter('leadId', itemIndex) as string,
		code: String(this.getNodeParameter('code', itemIndex)),
	};
	const answer = await metabotApiRequest(this, { operation: 'verifyCode', method: 'POST', path: '/verifications/verify', body, itemIndex, failureAsResult: failedCode });
	if (answer.verified !== true) return answer;
	return { verified: true, ...(answer.link as IDataObject), trace_id: answer.trace_id };
}
