import type { IDataObject, ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';
import { toOptions } from '../../shared/loadOptions';
import { encodePath, metabotApiRequest } from '../../shared/transport';

/** The bot's data tables. */
export async function getTables(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const answer = await metabotApiRequest(this, { operation: 'listTables', method: 'GET', path: '/tables' });
	return toOptions(((answer.tables as IDataObject[] | undefined) ?? []).map((table) => String(table.name)));
}

/** Columns of the table chosen in the `table` parameter. */
export async function getColumns(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const table = this.getCurrentNodeParameter('table') as string | undefined;
	if (!table) return [];
	const answer = await metabotApiRequest(this, { operation: 'getTable', method: 'GET', path: `/tables/${encodePath(table)}` });
	const columns = ((answer.table as IDataObject | undefined)?.columns as IDataObject[] | undefined) ?? [];
	return columns.map((column) => ({ name: String(column.name), value: String(column.name), description: String(column.type ?? '') }));
}
