import type { IDataObject } from 'n8n-workflow';
import type { ApiAnswer } from '../../../shared/transport';

type SendAnswer = ApiAnswer<'sendMessage'> & IDataObject;

/**
 * A dry run's output: one item per person previewed (text, buttons and parse mode as they would
 * get them, and `unknown`: the placeholders with no value for them), each with the send's counts.
 * A real send, or a dry run that reaches nobody, is output as the backend answered.
 */
export function sendOutput(answer: SendAnswer): IDataObject[] | SendAnswer {
	if (!answer.dry_run || !answer.preview?.length) return answer;
	const recipients = { queued: answer.queued, deferred: answer.deferred, unknown: answer.unknown, inactive: answer.inactive };
	return answer.preview.map((entry) => ({ dry_run: true, ...entry, recipients, trace_id: answer.trace_id }) as IDataObject);
}
