import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { returnAllAndLimit, showFor, sortRules } from '../../../shared/descriptions';
import { readLimit, readSort } from '../../../shared/parameters';
import { metabotApiRequest } from '../../../shared/transport';
import { columnField, tablePath } from '../fields';
import { readFilter } from '../filter';

const show = showFor('row', ['getMany']);

/** The backend's largest page; more rows are read page by page with its cursor. */
const PAGE_SIZE = 1000;

export const description: INodeProperties[] = [
	sortRules(show, columnField('Column Name or ID', 'column')),
	...returnAllAndLimit(show),
];

/** One output item per row. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject[]> {
	const wanted = readLimit.call(this, itemIndex);
	const base: IDataObject = { sort: readSort.call(this, itemIndex) };
	const filter = readFilter.call(this, itemIndex);
	if (filter) base.filter = filter;
	const path = `${tablePath.call(this, itemIndex)}/rows/query`;
	const rows: IDataObject[] = [];
	let cursor: string | undefined;
	do {
		const body: IDataObject = { ...base, limit: Math.min(PAGE_SIZE, wanted - rows.length) };
		if (cursor) body.cursor = cursor;
		const answer = await metabotApiRequest(this, { operation: 'queryRows', method: 'POST', path, body, itemIndex });
		rows.push(...(answer.rows as IDataObject[]));
		cursor = (answer.nextCursor as string | null) ?? undefined;
	} while (cursor && rows.length < wanted);
	return rows;
}
