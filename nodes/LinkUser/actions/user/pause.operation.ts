import type { INodeProperties } from 'n8n-workflow';
import { showFor } from '../../../shared/descriptions';
import { transition } from './transition';

export const description: INodeProperties[] = [
	{
		displayName: 'Pause Until',
		name: 'until',
		type: 'dateTime',
		required: true,
		default: '',
		description: 'Non-critical messages are held until then',
		displayOptions: { show: showFor('user', ['pause']) },
	},
];

export const execute = transition('pause', function (itemIndex) {
	return { until: new Date(this.getNodeParameter('until', itemIndex) as string).toISOString() };
});
