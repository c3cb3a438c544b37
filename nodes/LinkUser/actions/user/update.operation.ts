import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { showFor } from '../../../shared/descriptions';
import { parseJsonParameter } from '../../../shared/parameters';
import { metabotApiRequest } from '../../../shared/transport';

const show = showFor('user', ['update']);

export const description: INodeProperties[] = [
	{
		displayName: 'Fields (JSON)',
		name: 'updateFields',
		type: 'json',
		required: true,
		default: '{}',
		description: 'The user\'s data as the CRM has it now, e.g. the params of a users/update call; only values that differ from the stored ones count as changed',
		displayOptions: { show },
	},
	{
		displayName: 'Origin ID',
		name: 'originId',
		type: 'string',
		default: '',
		description: 'Where in the CRM the change was made (the eventOriginId of its users/update call), passed on in the User Updated event',
		displayOptions: { show },
	},
];

/** The stored user, with `changed` listing the fields whose values differed. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const userId = String(this.getNodeParameter('userId', itemIndex));
	const fields = parseJsonParameter(this.getNode(), this.getNodeParameter('updateFields', itemIndex), 'Fields (JSON)', itemIndex);
	const originId = String(this.getNodeParameter('originId', itemIndex, '')).trim();
	const answer = await metabotApiRequest(this, {
		operation: 'updateUser',
		method: 'POST',
		path: `/users/${encodeURIComponent(userId)}/update`,
		body: { fields, ...(originId ? { originId } : {}) },
		itemIndex,
	});
	return { ...(answer.user as IDataObject), changed: answer.changed };
}
