import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { executePerItem } from '../shared/execute';
import { getColumns, getTables } from '../shared/loadOptions';
import * as row from './actions/row';
import * as stats from './actions/stats';
import * as table from './actions/table';

const operations = { table: table.operations, row: row.operations, stats: stats.operations };

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
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Row', value: 'row' },
					{ name: 'Stat', value: 'stats' },
					{ name: 'Table', value: 'table' },
				],
				default: 'row',
			},
			...table.description,
			...row.description,
			...stats.description,
		],
	};

	methods = { loadOptions: { getTables, getColumns } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const resource = this.getNodeParameter('resource', 0) as keyof typeof operations;
		const operation = this.getNodeParameter('operation', 0) as string;
		return [await executePerItem.call(this, operations[resource][operation])];
	}
}
