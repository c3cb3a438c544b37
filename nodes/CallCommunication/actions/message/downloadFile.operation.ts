import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { showFor } from '../../../shared/descriptions';
import { type BinaryItem, binaryItem } from '../../../shared/execute';
import { metabotFileRequest } from '../../../shared/transport';

const show = showFor('message', ['downloadFile']);

export const description: INodeProperties[] = [
	{
		displayName: 'File ID',
		name: 'fileId',
		type: 'string',
		required: true,
		default: '={{ $json.data.media.fileId }}',
		description: 'The file a person sent: media.fileId of the Message Received event (Telegram serves bots files of up to 20 MB)',
		displayOptions: { show },
	},
	{
		displayName: 'Put Output File in Field',
		name: 'binaryPropertyName',
		type: 'string',
		required: true,
		default: 'data',
		hint: 'The name of the output binary field to put the file in',
		displayOptions: { show },
	},
];

/** Fetches a person's file into the item's binary data; the item's JSON is kept, with the file's name and size. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<BinaryItem> {
	const fileId = String(this.getNodeParameter('fileId', itemIndex)).trim();
	if (!fileId) throw new NodeOperationError(this.getNode(), 'No File ID given', { itemIndex });
	const property = String(this.getNodeParameter('binaryPropertyName', itemIndex, 'data')).trim() || 'data';
	const file = await metabotFileRequest(this, { operation: 'downloadFile', method: 'GET', path: `/files/${encodeURIComponent(fileId)}`, itemIndex });
	const item = this.getInputData()[itemIndex];
	// Telegram types no file: n8n finds the type from the name's extension.
	const binary = await this.helpers.prepareBinaryData(file.data, file.fileName);
	const json: IDataObject = { ...item.json, file: { fileId, fileName: file.fileName ?? null, size: file.data.length } };
	return binaryItem(json, { ...(item.binary ?? {}), [property]: binary });
}
