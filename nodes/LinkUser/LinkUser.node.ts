import type { IExecuteFunctions, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { resourceProperty } from '../shared/descriptions';
import * as link from './actions/link';
import { router } from './actions/router';
import * as user from './actions/user';
import { getTopics } from '../shared/loadOptions';

export class LinkUser implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Link User',
		name: 'linkUser',
		icon: { light: 'file:metabot.svg', dark: 'file:metabot.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: 'Connect CRM users to their messenger contacts and manage them: pause, block, attributes, topics',
		defaults: { name: 'Link User' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'metabotApi', required: true }],
		properties: [
			resourceProperty([{ name: 'Link', value: 'link' }, { name: 'User', value: 'user' }], 'link'),
			...link.description,
			...user.description,
		],
	};

	methods = { loadOptions: { getTopics } };

	async execute(this: IExecuteFunctions) {
		return await router.call(this);
	}
}
