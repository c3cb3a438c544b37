import type { INodeProperties } from 'n8n-workflow';
import { operationProperty } from '../../../shared/descriptions';
import * as get from './get.operation';

export const operations = { get };

export const description: INodeProperties[] = [
	operationProperty(
		'analytics',
		[
			{
				name: 'Get Analytics',
				value: 'get',
				action: 'Get analytics',
				description: 'Delivery, engagement, response time, conversion, CSAT and error rate over a period (needs the analytics scope)',
			},
		],
		'get',
	),
	...get.description,
];
