import type { IExecuteFunctions, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { resourceProperty } from '../shared/descriptions';
import { router } from './actions/router';
import * as row from './actions/row';
import * as stats from './actions/stats';
import * as table from './actions/table';
import { loadOptions } from './methods';

export class MetabotDataTable implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Metabot Data Table',
		name: 'metabotDataTable',
		icon: { light: 'file:metabot.svg', dark: 'file:metabot.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: 'Store and analyse rows in the Metabot backend\'s data tables: leaderboards, counters, history',
		defaults: { name: 'Metabot Data Table' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'metabotApi', required: true }],
		properties: [
			resourceProperty(
				[
					{ name: 'Row', value: 'row' },
					{ name: 'Stat', value: 'stats' },
					{ name: 'Table', value: 'table' },
				],
				'row',
			),
			...table.description,
			...row.description,
			...stats.description,
		],
	};

	methods = { loadOptions };

	async execute(this: IExecuteFunctions) {
		return await router.call(this);
	}
}
