import type { IDataObject } from 'n8n-workflow';

/** One flat, predictable output item per event; the untouched event stays under `event`. */
export function eventToItem(event: IDataObject, deliveryId: string | undefined): IDataObject {
	const lead = (event.lead as IDataObject | null) ?? null;
	const data = (event.data as IDataObject | undefined) ?? {};
	return {
		event: event.type,
		eventId: event.id,
		deliveryId: deliveryId ?? null,
		botId: event.botId,
		occurredAt: event.occurredAt,
		trace_id: event.traceId ?? null,
		userId: event.userId ?? null,
		leadId: lead?.id ?? null,
		channel: lead?.channel ?? null,
		lead,
		text: data.text ?? null,
		buttonData: data.buttonData ?? null,
		contact: data.contact ?? null,
		alias: data.alias ?? null,
		params: data.params ?? null,
		data,
	};
}
