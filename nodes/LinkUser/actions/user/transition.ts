import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { showFor } from '../../../shared/descriptions';
import { metabotApiRequest } from '../../../shared/transport';

/** The operations that move a user's account from one state to another. */
export const ACCOUNT_TRANSITIONS = ['pause', 'resume', 'block', 'unblock', 'disconnect', 'delete'];

export const notifyField: INodeProperties = {
	displayName: 'Notify User',
	name: 'notify',
	type: 'boolean',
	default: false,
	description: 'Whether to tell the user in the messenger',
	displayOptions: { show: showFor('user', ACCOUNT_TRANSITIONS) },
};

/** What a transition sends besides `notify` (the pause's end, the block's reason). */
type TransitionDetails = (this: IExecuteFunctions, itemIndex: number) => IDataObject;

/** `POST /users/{userId}/{action}`; the answer is the user as they are after the change. */
export function transition(action: string, details?: TransitionDetails) {
	return async function (this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
		const userId = String(this.getNodeParameter('userId', itemIndex));
		const body: IDataObject = { notify: this.getNodeParameter('notify', itemIndex, false), ...details?.call(this, itemIndex) };
		const answer = await metabotApiRequest(this, {
			operation: 'transitionUser',
			method: 'POST',
			path: `/users/${encodeURIComponent(userId)}/${action}`,
			body,
			itemIndex,
		});
		return answer.user as IDataObject;
	};
}
