import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { Show } from '../../shared/descriptions';
import { encodePath } from '../../shared/transport';

export function tableField(show: Show): INodeProperties {
	return {
		displayName: 'Table Name or ID',
		name: 'table',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getTables' },
		required: true,
		default: '',
		description:
			'The bot\'s data table. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		displayOptions: { show },
	};
}

/** `/tables/{table}` of the table chosen in `tableField`, the base of every row and stats path. */
export function tablePath(this: IExecuteFunctions, itemIndex: number): string {
	return `/tables/${encodePath(this.getNodeParameter('table', itemIndex) as string)}`;
}

/** A column of the chosen table, picked from its columns (a sort rule, a condition, a stat). */
export function columnField(displayName: string, name: string): INodeProperties {
	return {
		displayName,
		name,
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getColumns', loadOptionsDependsOn: ['table'] },
		default: '',
		description: 'Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>',
	};
}

export function columnParameter(show: Show, displayName: string, name: string): INodeProperties {
	return { ...columnField(displayName, name), required: true, displayOptions: { show } };
}

/** Comma-separated column names (group by, upsert keys). */
export function readColumnList(this: IExecuteFunctions, name: string, itemIndex: number): string[] {
	return String(this.getNodeParameter(name, itemIndex, '') ?? '')
		.split(',')
		.map((column) => column.trim())
		.filter((column) => column.length > 0);
}
